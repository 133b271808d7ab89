/**
 * Test-only stand-in for the `reflect-metadata` polyfill that `@peculiar/x509` v2 requires
 * (through tsyringe, which calls Reflect.getMetadata / getOwnMetadata / defineMetadata when
 * x509 registers its classes). No polyfill package is installed and the library code does
 * not use `@peculiar/x509`, so the tests, which use it to generate a throw-away CA and to
 * cross-check the DER parser, install this minimal one. Import it before `@peculiar/x509`.
 */
type MetadataReflect = typeof Reflect & {
  getMetadata?: (key: unknown, target: object) => unknown;
  getOwnMetadata?: (key: unknown, target: object) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: object) => void;
};

const reflect = Reflect as MetadataReflect;
if (typeof reflect.getMetadata !== 'function') {
  const store = new WeakMap<object, Map<unknown, unknown>>();
  reflect.defineMetadata = (key, value, target) => {
    let own = store.get(target);
    if (!own) store.set(target, (own = new Map()));
    own.set(key, value);
  };
  reflect.getOwnMetadata = (key, target) => store.get(target)?.get(key);
  reflect.getMetadata = (key, target) => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t)) {
      const value = store.get(t)?.get(key);
      if (value !== undefined) return value;
    }
    return undefined;
  };
}

export {};
