/**
 * The reference encoder of the remote-write tests: protobufjs over
 * Prometheus' own message definitions (prompb/types.proto and remote.proto,
 * with the fields newer Prometheus versions add: metadata, exemplars, native
 * histograms), and snappyjs for the block compression. What the hand-written
 * decoder is checked against.
 */
import protobuf from "protobufjs";
import { compress } from "snappyjs";

const SCHEMA = `
syntax = "proto3";
package prometheus;
message WriteRequest {
  repeated TimeSeries timeseries = 1;
  reserved 2;
  repeated MetricMetadata metadata = 3;
}
message MetricMetadata {
  enum MetricType { UNKNOWN = 0; COUNTER = 1; GAUGE = 2; }
  MetricType type = 1;
  string metric_family_name = 2;
  string help = 4;
  string unit = 5;
}
message Sample { double value = 1; int64 timestamp = 2; }
message Exemplar { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
message BucketSpan { sint32 offset = 1; uint32 length = 2; }
message Histogram {
  oneof count { uint64 count_int = 1; double count_float = 2; }
  double sum = 3;
  sint32 schema = 4;
  double zero_threshold = 5;
  repeated BucketSpan negative_spans = 8;
  repeated sint64 negative_deltas = 9;
  repeated BucketSpan positive_spans = 11;
  repeated sint64 positive_deltas = 12;
  int64 timestamp = 15;
}
message TimeSeries {
  repeated Label labels = 1;
  repeated Sample samples = 2;
  repeated Exemplar exemplars = 3;
  repeated Histogram histograms = 4;
}
message Label { string name = 1; string value = 2; }
`;

const root = protobuf.parse(SCHEMA).root;
export const WriteRequestType = root.lookupType("prometheus.WriteRequest");

export interface TestSample {
  readonly value: number;
  /** ms since the epoch. */
  readonly timestamp: number;
}

export interface TestSeries {
  /** In the order to encode them. */
  readonly labels: readonly (readonly [string, string])[];
  readonly samples: readonly TestSample[];
  readonly exemplars?: readonly { labels: [string, string][]; value: number; timestamp: number }[];
  readonly histograms?: readonly { sum: number; countInt: number; timestamp: number }[];
}

export interface TestWriteRequest {
  readonly series: readonly TestSeries[];
  readonly metadata?: readonly { type: number; metricFamilyName: string; help: string }[];
}

/** The protobuf bytes of a WriteRequest (protobufjs). */
export function encodeWriteRequest(req: TestWriteRequest): Uint8Array {
  const message = WriteRequestType.fromObject({
    timeseries: req.series.map((s) => ({
      labels: s.labels.map(([name, value]) => ({ name, value })),
      samples: s.samples.map((x) => ({ value: x.value, timestamp: x.timestamp })),
      exemplars: (s.exemplars ?? []).map((e) => ({
        labels: e.labels.map(([name, value]) => ({ name, value })),
        value: e.value,
        timestamp: e.timestamp,
      })),
      histograms: (s.histograms ?? []).map((h) => ({
        countInt: h.countInt,
        sum: h.sum,
        timestamp: h.timestamp,
      })),
    })),
    metadata: req.metadata ?? [],
  });
  return WriteRequestType.encode(message).finish();
}

/** snappy(protobuf), as Prometheus sends it. */
export function writeBody(req: TestWriteRequest): Uint8Array {
  return compress(encodeWriteRequest(req));
}

export { compress as snappy };

/** Shorthand: one series with labels given as an object and samples as [ms, value] pairs. */
export function series(
  labels: Readonly<Record<string, string>>,
  samples: readonly (readonly [number, number])[],
): TestSeries {
  return {
    labels: Object.entries(labels),
    samples: samples.map(([timestamp, value]) => ({ timestamp, value })),
  };
}
