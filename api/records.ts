// Raw records → Kafka messages. The value is the record as received, re-serialised with
// JSON.stringify (same fields, order and values: digit-strings stay strings): the raw layer keeps
// raw data and the cleaning happens downstream. The key is the post's `ind`, so one post's records
// share a partition and keep their order. The message timestamp is when the API received the
// request (the batch layer cuts days by it); the one header, `request-id`, ties a record to the
// API's log line. The entity is the topic. kafkajs encodes each header into buffers of its own,
// a measurable cost per record at 100k records/s: no header repeats what the message already says.
import { ENTITY } from '../domain/entities.ts';
import { byEntity, entityTopic, type Entity } from '../domain/wire.ts';
import type { OutgoingMessage } from './producer.ts';

/** Per request: stamped on every message of the request. */
export interface RequestStamp {
  requestId: string;
  /** Milliseconds since the epoch when the request arrived. */
  receivedAt: number;
}

export type RecordToMessage = (entity: Entity, record: object) => OutgoingMessage;

/** Returns, for one request, the function that turns its records into messages. */
export function createRecordMapper(topicPrefix: string): (stamp: RequestStamp) => RecordToMessage {
  const topics = byEntity((e) => entityTopic(topicPrefix, e));
  return ({ requestId, receivedAt }) => {
    const headers = { 'request-id': requestId };
    const timestamp = String(receivedAt);
    return (entity, record) => ({
      topic: topics[entity],
      key: String(ENTITY[entity].keyOf(record)),
      value: JSON.stringify(record),
      headers,
      timestamp,
    });
  };
}
