package io.hatflow.model.predictor;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hatflow.core.run.UserInputException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * HAT's latency predictor (latency_predictor.py of mit-han-lab/hardware-aware-transformers),
 * reproduced: features divided by {@code feature-norm}, target (encoder + decoder mean, ms) divided
 * by {@code lat-norm}; a first Linear(10→400) and {@code hidden-layer-num}=3 more Linear(400→400),
 * each followed by ReLU, then Linear(400→1); MSE loss; Adam lr 1e-5; 5,000 steps of 128 rows
 * sampled without replacement from the training rows only (the valid rows are only printed by HAT's
 * script). PyTorch's default Linear init (U(±1/sqrt(fan_in)) for weights and biases). Trained with
 * DJL/PyTorch; predicted with plain Java over the trained float weights.
 */
public final class HatMlpPredictor implements FittedModel {
  public static final String NAME = "hat-mlp";

  /**
   * HAT's hyperparameters (configs/wmt14.en-de/latency_predictor/*.yml).
   *
   * @param latNorm HAT uses 300 (Xeon), 200 (TITAN Xp), 5000 (Raspberry Pi); NaN = the training
   *     mean rounded to one significant digit, which gives those values on HAT's datasets
   */
  public record Config(
      double[] featureNorm,
      double latNorm,
      int hiddenDim,
      int hiddenLayerNum,
      int trainSteps,
      int batchSize,
      double lr) {
    public static Config hat() {
      return new Config(
          new double[] {640, 6, 2048, 6, 640, 6, 2048, 6, 6, 2},
          Double.NaN,
          400,
          3,
          5000,
          128,
          1e-5);
    }

    public Config withLatNorm(double v) {
      return new Config(featureNorm, v, hiddenDim, hiddenLayerNum, trainSteps, batchSize, lr);
    }

    public Config withTrainSteps(int v) {
      return new Config(featureNorm, latNorm, hiddenDim, hiddenLayerNum, v, batchSize, lr);
    }
  }

  private final double[] featureNorm;
  private final double latNorm;
  private final int[] dims; // layer widths: 10, 400, 400, 400, 400, 1
  private final float[][]
      weights; // per layer, row-major [in][out] (transposed from PyTorch's [out][in])
  private final float[][] biases;

  private HatMlpPredictor(
      double[] featureNorm, double latNorm, int[] dims, float[][] weights, float[][] biases) {
    this.featureNorm = featureNorm;
    this.latNorm = latNorm;
    this.dims = dims;
    this.weights = weights;
    this.biases = biases;
  }

  /** The auto lat-norm: the mean target rounded to one significant digit (268 ms → 300). */
  static double autoLatNorm(double[] y) {
    double m = 0;
    for (double v : y) {
      m += v;
    }
    m /= y.length;
    double p = Math.pow(10, Math.floor(Math.log10(m)));
    return Math.round(m / p) * p;
  }

  public static HatMlpPredictor fit(double[][] x, double[] y, Config cfg, long seed) {
    double latNorm = Double.isNaN(cfg.latNorm()) ? autoLatNorm(y) : cfg.latNorm();
    int n = x.length, f = x[0].length;
    if (cfg.batchSize() > n) {
      throw new UserInputException(
          "hat-mlp: batch size " + cfg.batchSize() + " > " + n + " training rows");
    }
    float[] xs = new float[n * f];
    float[] ys = new float[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < f; j++) {
        xs[i * f + j] = (float) (x[i][j] / cfg.featureNorm()[j]);
      }
      ys[i] = (float) (y[i] / latNorm);
    }
    int[] dims = new int[cfg.hiddenLayerNum() + 3];
    dims[0] = f;
    for (int l = 1; l < dims.length - 1; l++) {
      dims[l] = cfg.hiddenDim();
    }
    dims[dims.length - 1] = 1;

    Random rnd = new Random(seed);
    SequentialBlock net = new SequentialBlock();
    List<Linear> layers = new ArrayList<>();
    for (int l = 1; l < dims.length; l++) {
      Linear lin = Linear.builder().setUnits(dims[l]).build();
      layers.add(lin);
      net.add(lin);
      if (l < dims.length - 1) {
        net.add(Activation::relu);
      }
    }
    int b = cfg.batchSize();
    try (Model model = Model.newInstance(NAME)) {
      model.setBlock(net);
      DefaultTrainingConfig tc =
          new DefaultTrainingConfig(new MeanSquaredError())
              .optOptimizer(
                  Optimizer.adam().optLearningRateTracker(Tracker.fixed((float) cfg.lr())).build());
      try (Trainer trainer = model.newTrainer(tc)) {
        trainer.initialize(new Shape(b, f));
        for (int l = 0; l < layers.size(); l++) { // PyTorch's default init, from our seeded Random
          float bound = (float) (1 / Math.sqrt(dims[l]));
          var params = layers.get(l).getParameters();
          params
              .get("weight")
              .getArray()
              .set(FloatBuffer.wrap(uniform(rnd, dims[l + 1] * dims[l], bound)));
          params.get("bias").getArray().set(FloatBuffer.wrap(uniform(rnd, dims[l + 1], bound)));
        }
        NDManager root = trainer.getManager();
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
          perm[i] = i;
        }
        float[] bx = new float[b * f];
        float[] by = new float[b];
        for (int step = 0; step < cfg.trainSteps(); step++) {
          for (int k = 0; k < b; k++) { // random.sample(range(n), k=bsz): partial Fisher-Yates
            int j = k + rnd.nextInt(n - k);
            int t = perm[k];
            perm[k] = perm[j];
            perm[j] = t;
            System.arraycopy(xs, perm[k] * f, bx, k * f, f);
            by[k] = ys[perm[k]];
          }
          try (NDManager sm = root.newSubManager()) {
            NDArray bxa = sm.create(bx, new Shape(b, f));
            NDArray bya = sm.create(by, new Shape(b, 1));
            try (GradientCollector gc = trainer.newGradientCollector()) {
              NDArray pred = trainer.forward(new NDList(bxa)).singletonOrThrow();
              NDArray loss = trainer.getLoss().evaluate(new NDList(bya), new NDList(pred));
              gc.backward(loss);
            }
            trainer.step();
          }
        }
        float[][] w = new float[layers.size()][];
        float[][] bias = new float[layers.size()][];
        for (int l = 0; l < layers.size(); l++) {
          var params = layers.get(l).getParameters();
          w[l] = transpose(params.get("weight").getArray().toFloatArray(), dims[l + 1], dims[l]);
          bias[l] = params.get("bias").getArray().toFloatArray();
        }
        return new HatMlpPredictor(cfg.featureNorm().clone(), latNorm, dims, w, bias);
      }
    }
  }

  /**
   * Plain MSE. DJL's L2Loss multiplies by its weight through {@code mul(Number)}, whose scalar is
   * freed before the backward pass reads it (see {@link io.hatflow.model.transformer.Scalars}).
   */
  private static final class MeanSquaredError extends Loss {
    MeanSquaredError() {
      super("mse");
    }

    @Override
    public NDArray evaluate(NDList label, NDList prediction) {
      NDArray pred = prediction.singletonOrThrow();
      return label.singletonOrThrow().reshape(pred.getShape()).sub(pred).square().mean();
    }
  }

  private static float[] uniform(Random rnd, int count, float bound) {
    float[] a = new float[count];
    for (int i = 0; i < count; i++) {
      a[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
    }
    return a;
  }

  private static float[] transpose(float[] a, int rows, int cols) {
    float[] t = new float[a.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        t[c * rows + r] = a[r * cols + c];
      }
    }
    return t;
  }

  @Override
  public double predictMs(double[] features) {
    return predictBatch(new double[][] {features})[0];
  }

  /**
   * Layer by layer over blocks of 64 rows; each weight row is applied to the whole block while it
   * sits in L1, and the inner loop is an axpy over the output width (vectorises).
   */
  @Override
  public double[] predictBatch(double[][] features) {
    double[] out = new double[features.length];
    final int block = 64;
    int maxW = 0;
    for (int d : dims) {
      maxW = Math.max(maxW, d);
    }
    float[] a = new float[block * maxW];
    float[] c = new float[block * maxW];
    for (int start = 0; start < features.length; start += block) {
      int m = Math.min(block, features.length - start);
      int in = dims[0];
      for (int r = 0; r < m; r++) {
        double[] f = features[start + r];
        if (f.length != in) {
          throw new IllegalArgumentException("expected " + in + " features, got " + f.length);
        }
        for (int j = 0; j < in; j++) {
          a[r * in + j] = (float) (f[j] / featureNorm[j]);
        }
      }
      for (int l = 0; l < weights.length; l++) {
        int o = dims[l + 1];
        float[] w = weights[l];
        float[] bl = biases[l];
        boolean relu = l < weights.length - 1;
        for (int r = 0; r < m; r++) {
          System.arraycopy(bl, 0, c, r * o, o);
        }
        for (int i = 0; i < in; i++) { // one weight row (in L1) against every row of the block
          int wi = i * o;
          for (int r = 0; r < m; r++) {
            float v = a[r * in + i];
            if (v == 0f) {
              continue; // ReLU zeros: about half the activations
            }
            int co = r * o;
            for (int k = 0; k < o; k++) {
              c[co + k] += v * w[wi + k];
            }
          }
        }
        if (relu) {
          for (int k = 0; k < m * o; k++) {
            c[k] = Math.max(c[k], 0f);
          }
        }
        float[] t = a;
        a = c;
        c = t;
        in = o;
      }
      for (int r = 0; r < m; r++) {
        out[start + r] = a[r] * latNorm;
      }
    }
    return out;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public FeatureSet featureSet() {
    return FeatureSet.HAT10;
  }

  @Override
  public ObjectNode params() {
    ObjectNode o = new ObjectMapper().createObjectNode();
    Json.putArray(o, "feature_norm", featureNorm);
    o.put("lat_norm", latNorm);
    var d = o.putArray("layer_dims");
    for (int v : dims) {
      d.add(v);
    }
    o.put(
        "weights_layout",
        "float32 little-endian; per layer: weight [in][out] row-major, then bias [out]");
    return o;
  }

  @Override
  public byte[] modelBytes() {
    int count = 0;
    for (int l = 0; l < weights.length; l++) {
      count += weights[l].length + biases[l].length;
    }
    ByteBuffer buf = ByteBuffer.allocate(4 * count).order(ByteOrder.LITTLE_ENDIAN);
    for (int l = 0; l < weights.length; l++) {
      buf.asFloatBuffer().put(weights[l]);
      buf.position(buf.position() + 4 * weights[l].length);
      buf.asFloatBuffer().put(biases[l]);
      buf.position(buf.position() + 4 * biases[l].length);
    }
    return buf.array();
  }

  static HatMlpPredictor restore(JsonNode p, byte[] bytes) {
    JsonNode d = p.get("layer_dims");
    int[] dims = new int[d.size()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = d.get(i).asInt();
    }
    FloatBuffer fb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[][] w = new float[dims.length - 1][];
    float[][] b = new float[dims.length - 1][];
    for (int l = 0; l < w.length; l++) {
      w[l] = new float[dims[l] * dims[l + 1]];
      b[l] = new float[dims[l + 1]];
      if (fb.remaining() < w[l].length + b[l].length) {
        throw new UserInputException("hat-mlp weights are truncated: layer " + l);
      }
      fb.get(w[l]);
      fb.get(b[l]);
    }
    if (fb.remaining() != 0) {
      throw new UserInputException(
          "hat-mlp weights: " + fb.remaining() + " floats more than layer_dims needs");
    }
    return new HatMlpPredictor(
        Json.doubles(p, "feature_norm"), p.get("lat_norm").asDouble(), dims, w, b);
  }
}
