export { type PythonResult, referencePython, runPython, runPythonJson } from "./python.js";
