// The pages import their runtimes from the served site's own copy of their files (copied from
// node_modules at build time, beside the page), paths tsc cannot follow: give them the packages' types.
declare module "*/ort/ort.wasm.min.mjs" {
  export * from "onnxruntime-web/wasm";
}
declare module "*/litert/core/index.js" {
  export * from "@litertjs/core";
}
