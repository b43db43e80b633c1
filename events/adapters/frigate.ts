import * as z from 'zod';
import { type AdapterOutcome, type DeviceAdapter, type DeviceRequest, MalformedBodyError } from './device-adapter.ts';
import { isoInZone } from './device-time.ts';
import {
  type AlarmState,
  clip,
  draftEvent,
  isSourceId,
  issue,
  otherMapping,
  outcomeBuilder,
  queryDevice,
  type Read,
  rawEvidence,
  readJsonBody,
  type SkyMapping,
  shortHash,
} from './draft.ts';

const Labels = z.array(z.string().max(128)).max(1000).default([]);

/** The part of a Frigate review message (`frigate/reviews`) sanwang reads; other fields pass through. */
const ReviewMessage = z.object({
  type: z.enum(['new', 'update', 'end'], { error: 'must be one of new, update, end' }),
  after: z.object({
    id: z.string().regex(/^[\w.:@/-]{1,80}$/, { error: 'must be 1–80 letters, digits or . _ : @ / -' }),
    camera: z.string().min(1, { error: 'is required' }).max(64),
    start_time: z.number({ error: 'must be seconds since 1970' }),
    end_time: z.number().nullish(),
    severity: z.string().max(32),
    data: z.object({ detections: Labels, objects: Labels, zones: Labels }),
  }),
});
type Review = z.output<typeof ReviewMessage>['after'];

/**
 * Frigate NVR review messages `{type: new|update|end, before, after}`, as its MQTT bridge posts them. `end` closes
 * the review (state inactive). Each update with new data is an event of its own. A review of severity `alert` with
 * a person in a zone is an intrusion, fire or smoke is camera.fire_smoke at any severity, the rest camera.other.
 */
export const frigateAdapter: DeviceAdapter = {
  format: 'frigate',
  contentTypes: ['application/json'],
  parse(request: DeviceRequest): AdapterOutcome {
    const device = queryDevice(request.query);
    const text = new TextDecoder('utf-8').decode(request.body);
    const value = readJsonBody(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new MalformedBodyError('expected a Frigate review message, a JSON object');
    }
    const builder = outcomeBuilder();
    const parsed = ReviewMessage.safeParse(value);
    if (!parsed.success) {
      for (const problem of parsed.error.issues) {
        const message = problem.code === 'invalid_type' ? 'is missing or of the wrong type' : problem.message;
        builder.add(issue(problem.path.map(String).join('.'), message));
      }
      return builder.outcome;
    }
    builder.add(readReview(parsed.data, { device, text, request }));
    return builder.outcome;
  },
};

function readReview(
  { type, after }: z.output<typeof ReviewMessage>,
  { device, text, request }: { device: string | undefined; text: string; request: DeviceRequest },
): Read {
  const sourceId = device ?? `frigate-${after.camera}`;
  if (!isSourceId(sourceId)) {
    return issue('after.camera', 'must be letters, digits, _ or - (or give the query parameter device)');
  }
  const seconds = type === 'end' ? (after.end_time ?? after.start_time) : after.start_time;
  const occurredAt = isoInZone(seconds * 1000, request.timeZone);
  if (!occurredAt) return issue(type === 'end' ? 'after.end_time' : 'after.start_time', 'must be seconds since 1970');
  const { detections, objects, zones } = after.data;
  // An update repeats the review's id: the data it brings tells one update from the next.
  const update = type === 'update' ? `:${shortHash(detections.join(), objects.join(), zones.join()).slice(0, 12)}` : '';
  const channel = clip(after.camera, 32);
  const event = draftEvent(mapReview(after, type === 'end' ? 'inactive' : 'active'), {
    id: `frigate:${after.id}:${type}${update}`,
    occurredAt,
    source: { id: sourceId, kind: device ? 'nvr' : 'camera', ...(channel ? { channel } : {}) },
    evidence: [rawEvidence(text, request.contentType || 'application/json')],
  });
  return { kind: 'event', event };
}

function mapReview(after: Review, state: AlarmState): SkyMapping {
  // Frigate marks sub-labelled objects `person-verified`.
  const objects = after.data.objects.map((o) => o.toLowerCase().replace(/-verified$/, ''));
  const zones = after.data.zones;
  // Fire and smoke are level 1 whatever Frigate's grading: its alert labels are person and car unless an operator
  // adds more, so a fire is a mere detection on most installations.
  if (objects.includes('fire') || objects.includes('smoke')) {
    return { type: 'camera.fire_smoke', payload: { state, kind: objects.includes('fire') ? 'fire' : 'smoke' } };
  }
  // Frigate grades each review: an alert is an object of interest inside a zone the operator requires, a detection
  // anything else it tracked (a person passing an unguarded zone). Only an alert is an intrusion; a detection stays
  // camera.other, kept on the stream but paging no duty desk.
  if (after.severity === 'alert' && objects.includes('person') && zones.length > 0) {
    const region = clip(zones.join(','), 40);
    return { type: 'camera.intrusion', payload: { state, objectType: 'person', ...(region ? { region } : {}) } };
  }
  const description = `objects: ${objects.join(', ') || 'none'}; zones: ${zones.join(', ') || 'none'}`;
  return otherMapping('frigate', `review/${after.severity}/${objects.join('+') || 'none'}`, state, description);
}
