export { type PythonResult, referencePython, runPython, runPythonJson } from "./python.js";
export { type FileCase, type FileReader, type FileResult, checkFiles } from "./check-files.js";
