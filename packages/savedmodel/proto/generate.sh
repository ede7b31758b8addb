#!/bin/sh
# Regenerates src/gen/ from the .proto files beside this script with the installed buf and
# protoc-gen-es (both work offline). Never edit src/gen/ by hand.
set -e
cd "$(dirname "$0")"
rm -rf ../src/gen
../node_modules/.bin/buf generate
