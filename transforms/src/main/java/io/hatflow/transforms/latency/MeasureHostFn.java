package io.hatflow.transforms.latency;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.hatflow.core.run.Host;
import io.hatflow.core.space.Features;
import io.hatflow.core.space.SubConfig;
import io.hatflow.model.decode.OnnxTranslator;
import io.hatflow.model.export.OnnxExport;
import io.hatflow.model.latency.EngineLatencySubject;
import io.hatflow.model.latency.LatencyProtocol;
import io.hatflow.model.latency.ModelLatencySubject;
import io.hatflow.model.latency.QuietTiming;
import io.hatflow.model.transformer.Dropouts;
import io.hatflow.model.transformer.SuperTransformer;
import io.hatflow.schemas.LatencyRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;

/**
 * Times all configs of one host, one after another in {@code SubConfig.key()} order. The
 * random-weight SuperTransformer is built once per DoFn instance; each config is extracted into a
 * standalone model (as HAT times a SubTransformer) and timed by {@link ModelLatencySubject} under
 * {@link QuietTiming}: pinned to one core when the machine is quiet, re-timed while it is loaded,
 * with the conditions recorded in each row.
 */
final class MeasureHostFn extends DoFn<KV<String, Iterable<String>>, LatencyRecord> {
  private final MeasureSettings s;
  private transient NDManager manager;
  private transient SuperTransformer supernet;

  MeasureHostFn(MeasureSettings s) {
    this.s = s;
  }

  @Setup
  public void setup() {
    manager = NDManager.newBaseManager();
    supernet =
        SuperTransformer.create(
            manager, s.shape(), s.qkvDim(), s.vocabSize(), Dropouts.NONE, s.modelSeed());
  }

  @ProcessElement
  public void process(
      @Element KV<String, Iterable<String>> host, OutputReceiver<LatencyRecord> out) {
    List<SubConfig> configs = new ArrayList<>();
    for (String g : host.getValue()) {
      configs.add(LatencyRecords.fromGenesJson(g).active());
    }
    configs.sort(Comparator.comparing(SubConfig::key));
    LatencyProtocol protocol =
        new LatencyProtocol(s.tokens(), s.beam(), s.warmup(), s.runs(), s.trim())
            .withMaxRuns(s.maxRuns());
    String cpu = Host.cpuModel();
    String hostName = Host.name();
    String djl = Engine.getDjlVersion();
    String torch = Engine.getEngine("PyTorch").getVersion();
    // after a row stayed under load through all its tries, the next rows are timed once until one
    // is quiet: the
    // 1-minute load average decays slowly, and re-timing every row of a busy stretch would triple
    // the stage's time
    boolean busy = false;
    for (SubConfig c : configs) {
      int tries = busy ? 1 : QuietTiming.TRIES;
      long start = micros();
      QuietTiming.Outcome o;
      if (s.engine().equals("djl")) {
        try (NDManager m = manager.newSubManager();
            SuperTransformer sub = supernet.extract(m, c);
            ModelLatencySubject subject = new ModelLatencySubject(sub, c, protocol, s.threads())) {
          o = QuietTiming.measure(protocol, subject, System::nanoTime, QuietTiming.HOST, tries);
        }
      } else {
        o = onOnnxRuntime(c, protocol, s.engine().equals("onnx-int8"), tries);
      }
      busy = o.underLoad();
      LatencyProtocol.Stats st = o.stats();
      long end = micros();
      List<Double> f = new ArrayList<>();
      for (double x : Features.of(c)) {
        f.add(x);
      }
      out.output(
          LatencyRecord.newBuilder()
              .setTarget(s.target())
              .setConfigKey(c.key())
              .setGenes(LatencyRecords.genesJson(c))
              .setFeatures(f)
              .setMeanEncoderMs(st.meanEncoderMs())
              .setMeanDecoderMs(st.meanDecoderMs())
              .setStdEncoderMs(st.stdEncoderMs())
              .setStdDecoderMs(st.stdDecoderMs())
              .setKept(st.kept())
              .setRuns(s.runs())
              .setWarmup(s.warmup())
              .setSrcTokens(s.tokens())
              .setBeam(s.beam())
              .setHostName(hostName)
              .setCpuModel(cpu)
              .setCores(Host.cores())
              .setThreads(s.threads())
              .setDjlVersion(djl)
              .setPytorchVersion(torch)
              .setEngine(s.engine())
              .setStartEpochMicros(start)
              .setEndEpochMicros(end)
              .setMaxRuns(s.maxRuns())
              .setRunsUsed(st.runs())
              .setCiHalfWidthPct(Double.isFinite(st.ciHalfWidthPct()) ? st.ciHalfWidthPct() : null)
              .setAffinity(o.affinity())
              .setGovernor(o.governor())
              .setLoadBefore(Double.isNaN(o.loadBefore()) ? null : o.loadBefore())
              .setLoadAfter(Double.isNaN(o.loadAfter()) ? null : o.loadAfter())
              .setOthersCpu(Double.isNaN(o.othersCores()) ? null : o.othersCores())
              .setStealPct(Double.isNaN(o.stealPct()) ? null : o.stealPct())
              .setUnderLoad(o.underLoad())
              .setTries(o.tries())
              .build());
    }
  }

  /**
   * The config exported to ONNX (as finalize exports a winner) and timed on ONNX Runtime by the
   * same protocol: the export itself is not timed, and the folder is removed before the next
   * config.
   */
  private QuietTiming.Outcome onOnnxRuntime(
      SubConfig c, LatencyProtocol protocol, boolean int8, int tries) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("hatflow-latency-onnx-");
      Path export = dir.resolve("export");
      OnnxExport.write(supernet, c, "", null, export, int8, false);
      try (OnnxTranslator t = OnnxTranslator.open(export, int8, s.threads());
          EngineLatencySubject subject = new EngineLatencySubject(t, protocol)) {
        return QuietTiming.measure(protocol, subject, System::nanoTime, QuietTiming.HOST, tries);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot export " + c.key() + " for timing on ONNX Runtime", e);
    } finally {
      if (dir != null) {
        io.hatflow.core.run.AtomicFiles.deleteTree(dir);
      }
    }
  }

  private static long micros() {
    Instant t = Instant.now();
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
  }

  @Teardown
  public void teardown() {
    if (supernet != null) {
      supernet.close();
    }
    if (manager != null) {
      manager.close();
    }
  }
}
