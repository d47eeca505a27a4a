export { IntrospectionModule } from './introspection.module';
export { TokenInspector, type ActiveAccessToken } from './token-inspector';
