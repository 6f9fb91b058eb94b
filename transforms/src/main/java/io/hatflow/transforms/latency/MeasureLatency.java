package io.hatflow.transforms.latency;

import io.hatflow.schemas.LatencyRecord;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.PCollection;

/**
 * Configs (gene JSON, {@link LatencyRecords#genesJson}) to latency records timed by HAT's protocol.
 *
 * <p><b>No two timings share the machine's cores at once.</b> Every config is keyed to the host
 * that measures ({@link MeasureSettings#hostKey()}: one key per machine), then grouped: a
 * GroupByKey hands all values of one key to exactly one {@code processElement} call, on one worker
 * thread, on Direct and on Flink alike (Flink hash- partitions keys to subtasks and a subtask
 * processes its keys one at a time; the DirectRunner runs one key's group in one call). {@link
 * MeasureHostFn} then times that host's configs one after another, in canonical order (sorted by
 * {@code SubConfig.key()}). Parallelism elsewhere in the job is unaffected; the timing itself is
 * serial per machine by construction, not by runner settings. The price is that a job with one host
 * key is sequential; that is the point: HAT's figures are single-process latencies.
 */
public final class MeasureLatency
    extends PTransform<PCollection<String>, PCollection<LatencyRecord>> {
  private final MeasureSettings settings;

  private MeasureLatency(MeasureSettings settings) {
    this.settings = settings;
  }

  public static MeasureLatency with(MeasureSettings settings) {
    return new MeasureLatency(settings);
  }

  @Override
  public PCollection<LatencyRecord> expand(PCollection<String> configs) {
    String host = settings.hostKey();
    return configs
        .apply(
            "KeyByHost",
            WithKeys.<String, String>of(c -> host)
                .withKeyType(org.apache.beam.sdk.values.TypeDescriptors.strings()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()))
        .apply("OneGroupPerHost", GroupByKey.create())
        .apply("TimeSequentially", ParDo.of(new MeasureHostFn(settings)))
        .setCoder(AvroCoder.specific(LatencyRecord.class));
  }
}
