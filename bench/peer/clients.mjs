// The peer's clients, shared by its server and the benchmark driver.
export const PEER = {
  web: { clientId: 'bench-web', secret: 'bench-web-application-secret-0123456789' },
  cc: { clientId: 'bench-cc', secret: 'bench-client-credentials-secret-0123456789' },
  rs: { clientId: 'bench-rs', secret: 'bench-resource-server-secret-0123456789' },
};
