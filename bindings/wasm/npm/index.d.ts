export * from "./tongban.js";
