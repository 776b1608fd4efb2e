// The pages import onnxruntime-web from the served site's own copy of its files (ort/ beside the
// page, copied from node_modules at build time), a path tsc cannot follow: give it the package's types.
declare module "*/ort/ort.wasm.min.mjs" {
  export * from "onnxruntime-web/wasm";
}
