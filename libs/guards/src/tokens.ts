export const TESSERA_OPTIONS = Symbol('TESSERA_OPTIONS');
