// wgsl_reflect's package "main" is a CommonJS build inside a "type": "module" package, which Node
// cannot load; the ES module build has the same API and the package's own types.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
