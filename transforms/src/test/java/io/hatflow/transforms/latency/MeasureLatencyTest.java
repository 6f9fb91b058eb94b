package io.hatflow.transforms.latency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.core.space.Features;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.schemas.LatencyRecord;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.junit.jupiter.api.Test;

class MeasureLatencyTest {
  /** Records reach the test through a static queue: both runners run in this JVM. */
  static final ConcurrentLinkedQueue<LatencyRecord> SEEN = new ConcurrentLinkedQueue<>();

  static final class Collect extends DoFn<LatencyRecord, Void> {
    @ProcessElement
    public void process(@Element LatencyRecord r) {
      SEEN.add(r);
    }
  }

  /** A very small latency space: few configs, short to time. */
  static SearchSpace small() {
    return SearchSpace.preset("tiny").widenedForLatency();
  }

  static MeasureSettings settings(String target) {
    return new MeasureSettings(
        target,
        "this-host",
        LatencyRecords.genesJson(small().largest()),
        128,
        64,
        6,
        2,
        1,
        2,
        0.1,
        1,
        7);
  }

  static List<LatencyRecord> run(PipelineOptions o, List<SubConfig> configs, String target) {
    SEEN.clear();
    Pipeline p = Pipeline.create(o);
    p.apply(
            Create.of(configs.stream().map(LatencyRecords::genesJson).toList())
                .withCoder(StringUtf8Coder.of()))
        .apply(MeasureLatency.with(settings(target)))
        .apply(ParDo.of(new Collect()));
    p.run().waitUntilFinish();
    return new ArrayList<>(SEEN);
  }

  static void assertDisjointAndComplete(List<LatencyRecord> recs, List<SubConfig> configs) {
    assertEquals(configs.size(), recs.size());
    Set<String> keys = new HashSet<>();
    recs.forEach(r -> keys.add(r.getConfigKey()));
    Set<String> want = new HashSet<>();
    configs.forEach(c -> want.add(c.key()));
    assertEquals(want, keys);
    List<LatencyRecord> byStart = new ArrayList<>(recs);
    byStart.sort(Comparator.comparingLong(LatencyRecord::getStartEpochMicros));
    for (int i = 0; i < byStart.size(); i++) {
      LatencyRecord r = byStart.get(i);
      assertTrue(r.getStartEpochMicros() <= r.getEndEpochMicros());
      if (i > 0) {
        assertTrue(
            byStart.get(i - 1).getEndEpochMicros() <= r.getStartEpochMicros(),
            "timings overlap: " + byStart.get(i - 1).getConfigKey() + " and " + r.getConfigKey());
      }
    }
    // canonical order: timed in key order
    for (int i = 1; i < byStart.size(); i++) {
      assertTrue(byStart.get(i - 1).getConfigKey().compareTo(byStart.get(i).getConfigKey()) < 0);
    }
  }

  @Test
  void directRunnerMeasuresEveryConfigOnceInKeyOrder() {
    List<SubConfig> configs = LatencyRecords.sample(small(), 4, 3, Set.of());
    List<LatencyRecord> recs = run(PipelineOptionsFactory.create(), configs, "cpu");
    assertDisjointAndComplete(recs, configs);
    for (LatencyRecord r : recs) {
      SubConfig c = LatencyRecords.fromGenesJson(r.getGenes());
      assertEquals(c.key(), r.getConfigKey());
      double[] f = Features.of(c);
      for (int i = 0; i < f.length; i++) {
        assertEquals(f[i], r.getFeatures().get(i));
      }
      assertEquals("cpu", r.getTarget());
      assertEquals(2, r.getKept());
      assertEquals(1, r.getThreads());
      assertTrue(r.getMeanEncoderMs() > 0 && r.getMeanDecoderMs() > 0);
      assertFalse(r.getDjlVersion().isBlank());
      assertFalse(r.getPytorchVersion().isBlank());
      assertEquals(io.hatflow.core.run.Host.cpuModel(), r.getCpuModel());
    }
  }

  @Test
  void flinkParallelismTwoNeverOverlapsTimings() {
    FlinkPipelineOptions o = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    o.setRunner(FlinkRunner.class);
    o.setFlinkMaster("[local]");
    o.setParallelism(2);
    List<SubConfig> configs = LatencyRecords.sample(small(), 6, 5, Set.of());
    assertDisjointAndComplete(run(o, configs, "cpu"), configs);
  }

  @Test
  void samplingIsSeededDistinctAndHasTheExtremes() {
    SearchSpace s = small();
    List<SubConfig> a = LatencyRecords.sample(s, 10, 42, Set.of());
    assertEquals(a, LatencyRecords.sample(s, 10, 42, Set.of()));
    assertEquals(10, new HashSet<>(a.stream().map(SubConfig::key).toList()).size());
    assertEquals(s.smallest().key(), a.get(0).key());
    assertEquals(s.largest().key(), a.get(1).key());
    assertTrue(a.stream().allMatch(s::contains));
    Set<String> exclude = new HashSet<>(a.stream().map(SubConfig::key).toList());
    List<SubConfig> b = LatencyRecords.sample(s, 5, 42, exclude);
    assertEquals(5, b.size());
    assertTrue(b.stream().noneMatch(c -> exclude.contains(c.key())));
    assertTrue(LatencyRecords.seedOf(1, "a") != LatencyRecords.seedOf(1, "b"));
  }

  @Test
  void stabilityIsTheMedianRatio() {
    List<LatencyRecord> recs = new ArrayList<>();
    double[][] v = {{10, 20, 1, 2}, {10, 20, 0.5, 1}, {10, 20, 2, 4}};
    for (double[] x : v) {
      recs.add(
          LatencyRecord.newBuilder()
              .setTarget("t")
              .setConfigKey("k")
              .setGenes("{}")
              .setFeatures(List.of())
              .setMeanEncoderMs(x[0])
              .setMeanDecoderMs(x[1])
              .setStdEncoderMs(x[2])
              .setStdDecoderMs(x[3])
              .setKept(1)
              .setRuns(1)
              .setWarmup(0)
              .setSrcTokens(1)
              .setBeam(1)
              .setHostName("h")
              .setCpuModel("c")
              .setCores(1)
              .setThreads(1)
              .setDjlVersion("d")
              .setPytorchVersion("p")
              .setStartEpochMicros(0)
              .setEndEpochMicros(0)
              .build());
    }
    LatencyRecords.Stability st = LatencyRecords.stability(recs);
    assertEquals(0.1, st.medianEncoder(), 1e-12);
    assertEquals(0.1, st.medianDecoder(), 1e-12);
    assertEquals(0.1, st.medianTotal(), 1e-12);
  }
}
