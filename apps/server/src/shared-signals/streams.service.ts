import { Inject, Injectable } from '@nestjs/common';
import { backchannelUriProblem } from '@tessera/contracts';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../config';
import { Conflict, InvalidRequest, NotFound, TooManyRequests } from '../errors';
import { isUuid } from '../http';
import { SSF_EVENTS_SUPPORTED, SsfOutbox, VERIFICATION, type PendingSet } from '../revocation';
import { SecretsService } from '../secrets';
import type { SubjectFormat } from './ssf-stream-subject.entity';
import { POLL, PUSH, SsfStream, type DeliveryMethod, type StreamStatus } from './ssf-stream.entity';
import { StreamsRepository } from './streams.repository';

/** Streams one application may hold: a receiver needs one, a few allow a changeover. */
const MAX_STREAMS_PER_APPLICATION = 10;
/** Subjects one stream may hold (§8.1.3): beyond that, a receiver wants every subject. */
const MAX_SUBJECTS_PER_STREAM = 10_000;
/** Verification events (§8.1.4) a stream may have waiting: more are refused, 429. */
const MAX_PENDING_VERIFICATIONS = 10;
const VERIFICATION_RETRY_SECONDS = 10;
const MAX_AUTHORIZATION_HEADER = 2048;
const MAX_DESCRIPTION = 500;

/** The caller: the application whose client_credentials token was presented. */
export interface StreamOwner {
  tenantId: string;
  applicationId: string;
  clientId: string;
  /** The tenant's issuer: the SETs' and iss_sub subjects' `iss`. */
  issuer: string;
}

/** SSF 1.0 §8.1.1: a stream's configuration as the receiver reads it. */
export interface StreamConfiguration {
  stream_id: string;
  iss: string;
  aud: string;
  events_supported: string[];
  events_requested: string[];
  events_delivered: string[];
  delivery: { method: DeliveryMethod; endpoint_url: string };
  description?: string;
}

/** The purpose a push endpoint's Authorization value is sealed under. */
export const authorizationPurpose = (streamId: string) => `ssf-authorization:${streamId}`;

const invalid = (description: string) => new InvalidRequest({ description });

function record(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw invalid('The body must be a JSON object');
  return body as Record<string, unknown>;
}

/**
 * Stream management (SSF 1.0 §8.1): what a receiver may set (`events_requested`, `delivery`,
 * `description`) is checked here; the rest is the transmitter's. `events_delivered` is what was
 * requested and is supported.
 */
@Injectable()
export class StreamsService {
  constructor(
    private readonly repo: StreamsRepository,
    private readonly outbox: SsfOutbox,
    private readonly secrets: SecretsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  pollUrl(owner: Pick<StreamOwner, 'issuer'>, streamId: string): string {
    return `${owner.issuer}/ssf/streams/${streamId}/poll`;
  }

  view(owner: StreamOwner, s: SsfStream): StreamConfiguration {
    return {
      stream_id: s.id,
      iss: owner.issuer,
      aud: s.audience,
      events_supported: SSF_EVENTS_SUPPORTED,
      events_requested: s.eventsRequested,
      events_delivered: s.eventsDelivered,
      delivery: {
        method: s.deliveryMethod,
        // the Authorization value is the receiver's secret: never read back
        endpoint_url: s.deliveryMethod === POLL ? this.pollUrl(owner, s.id) : s.endpointUrl!,
      },
      ...(s.description !== null ? { description: s.description } : {}),
    };
  }

  /** The application's stream, or 404 (another application's or tenant's is not found either). */
  async require(owner: StreamOwner, id: unknown): Promise<SsfStream> {
    if (typeof id !== 'string' || !id) throw invalid('stream_id is required');
    const s = isUuid(id) ? await this.repo.byId(owner.tenantId, owner.applicationId, id) : null;
    if (!s) throw new NotFound('Stream');
    return s;
  }

  list(owner: StreamOwner): Promise<SsfStream[]> {
    return this.repo.list(owner.tenantId, owner.applicationId);
  }

  /** §8.1.1.1 */
  async create(owner: StreamOwner, body: unknown): Promise<SsfStream> {
    const input = record(body);
    if ((await this.repo.count(owner.tenantId, owner.applicationId)) >= MAX_STREAMS_PER_APPLICATION)
      throw new Conflict(`An application holds at most ${MAX_STREAMS_PER_APPLICATION} streams`);
    const id = randomUUID();
    const stream = Object.assign(new SsfStream(), {
      id,
      tenantId: owner.tenantId,
      applicationId: owner.applicationId,
      audience: owner.clientId,
      status: 'enabled' as const,
      statusReason: null,
      ...this.receiverFields(id, input, {}),
    });
    await this.repo.insert(stream);
    return stream;
  }

  /** §8.1.1.3 (PATCH: what the body names) and §8.1.1.4 (PUT: everything the receiver sets). */
  async update(owner: StreamOwner, body: unknown, replace: boolean): Promise<SsfStream> {
    const input = record(body);
    const s = await this.require(owner, input.stream_id);
    const changes = this.receiverFields(s.id, input, replace ? {} : s);
    await this.repo.update(s.id, changes);
    return Object.assign(s, changes);
  }

  async remove(owner: StreamOwner, id: unknown): Promise<void> {
    const s = await this.require(owner, id);
    await this.repo.remove(s.id);
  }

  /** §8.1.2.2: enabled, paused (events are kept) or disabled (events are not kept). */
  async setStatus(owner: StreamOwner, body: unknown): Promise<SsfStream> {
    const input = record(body);
    const s = await this.require(owner, input.stream_id);
    const status = input.status;
    if (status !== 'enabled' && status !== 'paused' && status !== 'disabled')
      throw invalid('status must be enabled, paused or disabled');
    const reason = typeof input.reason === 'string' ? input.reason.slice(0, MAX_DESCRIPTION) : null;
    await this.repo.update(s.id, { status: status as StreamStatus, statusReason: reason });
    return Object.assign(s, { status, statusReason: reason });
  }

  /** §8.1.3: `iss_sub` of this tenant's issuer, or `email`. */
  async subject(
    owner: StreamOwner,
    body: unknown,
    add: boolean,
  ): Promise<{ stream: SsfStream; found: boolean }> {
    const input = record(body);
    const s = await this.require(owner, input.stream_id);
    const subject = input.subject as Record<string, unknown> | undefined;
    let format: SubjectFormat;
    let value: string;
    if (subject?.format === 'iss_sub' && typeof subject.sub === 'string' && subject.sub) {
      if (subject.iss !== owner.issuer) throw invalid('iss must be this transmitter’s issuer');
      format = 'iss_sub';
      value = subject.sub;
    } else if (subject?.format === 'email' && typeof subject.email === 'string' && subject.email) {
      format = 'email';
      value = subject.email.toLowerCase();
    } else throw invalid('subject must be an iss_sub or email subject identifier (RFC 9493)');
    if (value.length > 320) throw invalid('The subject is too long');
    if (add) {
      if (
        (await this.repo.subjectCount(s.id)) >= MAX_SUBJECTS_PER_STREAM &&
        !(await this.repo.hasSubject(s.id, format, value))
      )
        throw new Conflict(`A stream holds at most ${MAX_SUBJECTS_PER_STREAM} subjects`);
      await this.repo.addSubject(s.id, format, value);
      return { stream: s, found: true };
    }
    return { stream: s, found: (await this.repo.removeSubject(s.id, format, value)) > 0 };
  }

  /** §8.1.4.2: a verification event, with the receiver's `state`, through the stream's delivery. */
  async verify(owner: StreamOwner, body: unknown): Promise<void> {
    const input = record(body);
    const s = await this.require(owner, input.stream_id);
    if (input.state !== undefined && (typeof input.state !== 'string' || input.state.length > 1024))
      throw invalid('state must be a string');
    // each request is a row until it is delivered: a receiver that does not take them gets 429
    // (§8.1.4.2 allows it for requests more frequent than min_verification_interval)
    if ((await this.repo.pendingCount(s.id, VERIFICATION)) >= MAX_PENDING_VERIFICATIONS)
      throw new TooManyRequests(VERIFICATION_RETRY_SECONDS, 'verification events pending');
    await this.outbox.enqueueFor(
      owner.tenantId,
      s.id,
      VERIFICATION,
      { stream_id: s.id },
      input.state === undefined ? {} : { state: input.state },
    );
  }

  /**
   * RFC 8936 §2.4 for the stream: acknowledgements, errors, then what is pending. §8.1.2: nothing
   * is transmitted over a paused or disabled stream (a paused one holds its events until enabled),
   * so its poll is refused, 409, rather than answered empty: a receiver must not take the silence
   * of a stream that delivers nothing for "nothing happened".
   */
  async poll(
    s: SsfStream,
    o: { ack: string[]; errs: Array<{ jti: string; error: string }>; max: number },
  ): Promise<{ sets: PendingSet[]; more: boolean }> {
    if (s.status !== 'enabled') throw new Conflict(`The stream is ${s.status}`);
    return this.outbox.poll(s.id, o);
  }

  /**
   * The fields a receiver sets, from a request body; `base` holds what an absent field keeps
   * (PATCH), or nothing (create, PUT: defaults). A push endpoint must be one the server may call
   * (https, and not on a private address unless TESSERA_ALLOW_PRIVATE_URIS); it is checked again,
   * resolved, at every send.
   */
  private receiverFields(
    id: string,
    input: Record<string, unknown>,
    base: Partial<SsfStream>,
  ): Pick<
    SsfStream,
    | 'eventsRequested'
    | 'eventsDelivered'
    | 'deliveryMethod'
    | 'endpointUrl'
    | 'authorizationHeader'
    | 'description'
  > {
    let eventsRequested = base.eventsRequested ?? [];
    if (input.events_requested !== undefined) {
      const e = input.events_requested;
      if (!Array.isArray(e) || e.length > 50 || !e.every((x) => typeof x === 'string'))
        throw invalid('events_requested must be an array of event type URIs');
      eventsRequested = [...new Set(e as string[])];
    }
    let description = base.description ?? null;
    if (input.description !== undefined) {
      if (typeof input.description !== 'string' || input.description.length > MAX_DESCRIPTION)
        throw invalid('description must be a string');
      description = input.description;
    }
    let delivery = {
      deliveryMethod: base.deliveryMethod ?? POLL,
      endpointUrl: base.endpointUrl ?? null,
      authorizationHeader: base.authorizationHeader ?? null,
    };
    if (input.delivery !== undefined) {
      const d = record(input.delivery);
      if (d.method === POLL)
        delivery = { deliveryMethod: POLL, endpointUrl: null, authorizationHeader: null };
      else if (d.method === PUSH) {
        if (typeof d.endpoint_url !== 'string')
          throw invalid('A push stream needs delivery.endpoint_url');
        const problem = backchannelUriProblem(d.endpoint_url, this.config.allowPrivateUris);
        if (problem) throw invalid(`delivery.endpoint_url: ${problem}`);
        const auth = d.authorization_header;
        if (
          auth !== undefined &&
          (typeof auth !== 'string' ||
            !auth ||
            auth.length > MAX_AUTHORIZATION_HEADER ||
            /[\r\n]/.test(auth))
        )
          throw invalid('delivery.authorization_header must be one header value');
        delivery = {
          deliveryMethod: PUSH,
          endpointUrl: d.endpoint_url,
          authorizationHeader:
            typeof auth === 'string'
              ? this.secrets.sealValue(auth, authorizationPurpose(id))
              : null,
        };
      } else throw invalid(`delivery.method must be ${PUSH} or ${POLL}`);
    }
    return {
      eventsRequested,
      eventsDelivered: eventsRequested.filter((e) => SSF_EVENTS_SUPPORTED.includes(e)),
      description,
      ...delivery,
    };
  }
}
