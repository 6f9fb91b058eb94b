package io.hatflow.model.transformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Named parameter store, in a fixed insertion order (the order of checkpoints and of the optimizer
 * state). A plain container rather than DJL Blocks: the SuperTransformer slices every weight per
 * call with the SubConfig passed in, which DJL's Block/Parameter shape-inference does not model.
 */
public final class Weights implements AutoCloseable {
  private final NDManager manager;
  private final Map<String, NDArray> params = new LinkedHashMap<>();

  public Weights(NDManager manager) {
    this.manager = manager;
  }

  public NDManager manager() {
    return manager;
  }

  public NDArray get(String name) {
    NDArray a = params.get(name);
    if (a == null) {
      throw new IllegalArgumentException("no parameter " + name);
    }
    return a;
  }

  public boolean has(String name) {
    return params.containsKey(name);
  }

  public Map<String, NDArray> all() {
    return Collections.unmodifiableMap(params);
  }

  public void put(String name, NDArray a) {
    a.setName(name);
    params.put(name, a);
  }

  /** fairseq/HAT Linear init: Xavier uniform weight [out, in], zero bias. */
  void xavier(String name, int out, int in, Random rnd) {
    if (rnd == null) {
      put(name, manager.zeros(new Shape(out, in)));
      return;
    }
    float bound = (float) Math.sqrt(6.0 / (in + out));
    float[] w = new float[out * in];
    for (int i = 0; i < w.length; i++) {
      w[i] = (rnd.nextFloat() * 2 - 1) * bound;
    }
    put(name, manager.create(w, new Shape(out, in)));
  }

  void constant(String name, int n, float v) {
    float[] w = new float[n];
    java.util.Arrays.fill(w, v);
    put(name, manager.create(w, new Shape(n)));
  }

  void normal(String name, int rows, int cols, double std, int zeroRow, Random rnd) {
    if (rnd == null) {
      put(name, manager.zeros(new Shape(rows, cols)));
      return;
    }
    float[] w = new float[rows * cols];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (rnd.nextGaussian() * std);
    }
    for (int j = 0; j < cols; j++) {
      w[zeroRow * cols + j] = 0f;
    }
    put(name, manager.create(w, new Shape(rows, cols)));
  }

  /** Total number of elements. */
  public long numel() {
    long n = 0;
    for (NDArray a : params.values()) {
      n += a.size();
    }
    return n;
  }

  public NDList toList() {
    return new NDList(params.values());
  }

  /** Replaces the values from a decoded list, checking names and shapes. */
  public void load(NDList list, String what) {
    if (list.size() != params.size()) {
      throw new IllegalArgumentException(
          what + ": expected " + params.size() + " arrays, found " + list.size());
    }
    int i = 0;
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray src = list.get(i++);
      if (!e.getValue().getShape().equals(src.getShape())) {
        throw new IllegalArgumentException(
            what
                + ": parameter "
                + e.getKey()
                + " has shape "
                + src.getShape()
                + ", expected "
                + e.getValue().getShape());
      }
      e.getValue().set(src.toByteBuffer());
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
