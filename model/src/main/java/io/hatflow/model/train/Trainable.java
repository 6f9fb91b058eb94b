package io.hatflow.model.train;

import io.hatflow.core.space.SubConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Which weights a fine-tuning updates (PockEngine-style sparse update). The others are frozen: they
 * never require a gradient, so libtorch neither computes nor stores one for them (and stops the
 * backward pass where nothing below needs it), and {@link Adam} keeps no moments for them. {@code
 * layers}: the layers updated whole ({@code enc.<i>}, {@code dec.<i>}), empty for {@code all} and
 * {@code bias}. The shared embedding (also the output projection) is updated by {@code all} only.
 */
public record Trainable(String mode, List<String> layers) implements Predicate<String> {
  public static final Trainable ALL = new Trainable("all", List.of());

  public Trainable {
    layers = List.copyOf(layers);
  }

  /** Bias and layer-norm shift vectors of every layer (BitFit's choice), nothing else. */
  public static Trainable bias() {
    return new Trainable("bias", List.of());
  }

  /** The {@code k} layers nearest the output: the decoder's from the top, then the encoder's. */
  public static Trainable lastK(SubConfig shape, int k) {
    List<String> order = layers(shape);
    if (k < 1 || k > order.size()) {
      throw new IllegalArgumentException("last " + k + " layers of a model with " + order.size());
    }
    return new Trainable("last_k", order.subList(0, k));
  }

  /** The layers a probe picked. */
  public static Trainable picked(List<String> layers) {
    return new Trainable("auto", layers);
  }

  public boolean isAll() {
    return mode.equals("all");
  }

  /**
   * The model's layers, nearest the output first: {@code dec.<D-1>} .. {@code dec.0}, {@code
   * enc.<E-1>} .. {@code enc.0}.
   */
  public static List<String> layers(SubConfig shape) {
    List<String> out = new ArrayList<>();
    for (int i = shape.decoderLayerNum() - 1; i >= 0; i--) {
      out.add("dec." + i);
    }
    for (int i = shape.encoderLayerNum() - 1; i >= 0; i--) {
      out.add("enc." + i);
    }
    return out;
  }

  /** Whether the parameter named {@code name} (a {@code Weights} name) is updated. */
  @Override
  public boolean test(String name) {
    return switch (mode) {
      case "all" -> true;
      case "bias" ->
          name.endsWith("_b") || name.endsWith(".b"); // self.in_b, fc1.b, ln1.b ...; not embed
      default -> layers.contains(layerOf(name));
    };
  }

  /**
   * {@code enc.3} for {@code enc.3.fc1.w}; the name itself for weights outside a layer ({@code
   * embed}).
   */
  static String layerOf(String name) {
    int first = name.indexOf('.');
    int second = first < 0 ? -1 : name.indexOf('.', first + 1);
    return second < 0 ? name : name.substring(0, second);
  }

  /**
   * What a probe measured for one layer (or for {@code all}): the validation-loss gain of training
   * it alone, the median backward time with it trainable ({@code backwardMs}), and with only its
   * first layer norm's shift trainable ({@code pathMs}: the shared backward path from the loss down
   * to the layer, almost no weight gradient; NaN for {@code all}).
   */
  public record Probe(String layer, double lossGain, double backwardMs, double pathMs) {
    /** The layer's own weight-gradient cost: what training it adds to the path down to it. */
    public double weightMs() {
      return Math.max(0, backwardMs - pathMs);
    }
  }

  /**
   * The estimated backward time of training {@code chosen} together: the activation-gradient path
   * down to the deepest of them (the longest path; the others' paths are part of it), plus each
   * one's weight gradients. A layer's alone time counts that shared path in full, so summing alone
   * times would count it once per layer.
   */
  public static double estimatedMs(List<Probe> probes, java.util.Collection<String> chosen) {
    double path = 0;
    double weights = 0;
    for (Probe p : probes) {
      if (chosen.contains(p.layer())) {
        path = Math.max(path, p.pathMs());
        weights += p.weightMs();
      }
    }
    return path + weights;
  }

  /**
   * PockEngine's greedy choice: repeatedly the layer with the best validation-loss gain per ms of
   * marginal backward cost ({@link #estimatedMs} with it minus without), taken while the estimate
   * stays within {@code budget} x {@code fullBackwardMs}. A layer above one already chosen costs
   * only its weight gradients. Layers that did not lower the loss are never taken. The result keeps
   * the model's layer order (output first).
   */
  public static List<String> pick(List<Probe> probes, double fullBackwardMs, double budget) {
    double limit = budget * fullBackwardMs;
    Set<String> chosen = new java.util.HashSet<>();
    double used = 0;
    while (true) {
      Probe best = null;
      double bestValue = 0;
      double bestCost = 0;
      for (Probe p : probes) {
        if (chosen.contains(p.layer()) || !(p.lossGain() > 0)) {
          continue;
        }
        Set<String> with = new java.util.HashSet<>(chosen);
        with.add(p.layer());
        double cost = estimatedMs(probes, with);
        if (cost > limit) {
          continue;
        }
        double value = p.lossGain() / Math.max(cost - used, 1e-9);
        if (best == null
            || value > bestValue
            || value == bestValue
                && (p.lossGain() > best.lossGain()
                    || p.lossGain() == best.lossGain() && p.layer().compareTo(best.layer()) < 0)) {
          best = p;
          bestValue = value;
          bestCost = cost;
        }
      }
      if (best == null) {
        break;
      }
      chosen.add(best.layer());
      used = bestCost;
    }
    return probes.stream().map(Probe::layer).filter(chosen::contains).toList();
  }
}
