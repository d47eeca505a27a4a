export { IntrospectionModule } from './introspection.module';
export { requireScope, TokenInspector, type ActiveAccessToken } from './token-inspector';
