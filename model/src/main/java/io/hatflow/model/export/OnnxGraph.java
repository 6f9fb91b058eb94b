package io.hatflow.model.export;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal ONNX graph builder and serializer. The protobuf is written by hand, field by field,
 * with protobuf-java's {@link CodedOutputStream} (no generated classes: no protoc at build time and
 * no gencode/runtime version coupling with the protobuf that Beam and GCS bring). Field numbers are
 * those of the public {@code onnx/onnx.proto}; only the subset an inference graph needs is written
 * (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto,
 * TypeProto.Tensor, TensorShapeProto, OperatorSetIdProto).
 */
final class OnnxGraph {
  // TensorProto.DataType
  static final int FLOAT = 1;
  static final int UINT8 = 2;
  static final int INT8 = 3;
  static final int INT32 = 6;
  static final int INT64 = 7;
  static final int BOOL = 9;

  /** IR version 8 goes with opset 17 (onnx 1.12). */
  static final int IR_VERSION = 8;

  static final int OPSET = 17;

  // AttributeProto.AttributeType
  private static final int ATTR_FLOAT = 1;
  private static final int ATTR_INT = 2;
  private static final int ATTR_INTS = 7;

  /** A node attribute: one int, one float or a list of ints. */
  record Attr(String name, int type, long i, float f, long[] ints) {
    static Attr i(String name, long v) {
      return new Attr(name, ATTR_INT, v, 0, null);
    }

    static Attr f(String name, float v) {
      return new Attr(name, ATTR_FLOAT, 0, v, null);
    }

    static Attr ints(String name, long... v) {
      return new Attr(name, ATTR_INTS, 0, 0, v);
    }
  }

  /** A graph input or output: element type and dims, each a Long (fixed) or a String (symbolic). */
  record Value(String name, int elemType, List<Object> dims) {}

  private final String name;
  private final List<byte[]> nodes = new ArrayList<>();
  private final List<byte[]> initializers = new ArrayList<>();
  private final List<Value> inputs = new ArrayList<>();
  private final List<Value> outputs = new ArrayList<>();
  private final Map<String, String> scalarConsts = new LinkedHashMap<>();
  private int counter;

  OnnxGraph(String name) {
    this.name = name;
  }

  List<Value> inputs() {
    return inputs;
  }

  List<Value> outputs() {
    return outputs;
  }

  String fresh(String hint) {
    return hint + "_" + counter++;
  }

  void input(String name, int elemType, Object... dims) {
    inputs.add(new Value(name, elemType, List.of(dims)));
  }

  void output(String name, int elemType, Object... dims) {
    outputs.add(new Value(name, elemType, List.of(dims)));
  }

  // ---------------------------------------------------------------- initializers

  String initializer(String name, int dataType, long[] dims, byte[] raw) {
    Msg t = new Msg();
    for (long d : dims) {
      t.int64(1, d); // dims
    }
    t.int64(2, dataType); // data_type
    t.string(8, name); // name
    t.bytes(9, raw); // raw_data: fixed width, little endian
    initializers.add(t.bytes());
    return name;
  }

  String floats(String name, long[] dims, float[] v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return initializer(name, FLOAT, dims, b.array());
  }

  String int8s(String name, long[] dims, byte[] v) {
    return initializer(name, INT8, dims, v);
  }

  String int64s(String name, long... v) {
    ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(v);
    return initializer(name, INT64, new long[] {v.length}, b.array());
  }

  /** A 1-D int64 constant, shared by value. */
  String ints(long... v) {
    String key = "i" + java.util.Arrays.toString(v);
    return scalarConsts.computeIfAbsent(key, k -> int64s(fresh("const_i64"), v));
  }

  /** A scalar (0-D) float constant, shared by value. */
  String scalar(float v) {
    return scalarConsts.computeIfAbsent(
        "f" + Float.floatToIntBits(v),
        k -> {
          ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v);
          return initializer(fresh("const_f32"), FLOAT, new long[0], b.array());
        });
  }

  /** A scalar (0-D) int64 constant, shared by value. */
  String scalarLong(long v) {
    return scalarConsts.computeIfAbsent(
        "l" + v,
        k -> {
          ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
          return initializer(fresh("const_i64s"), INT64, new long[0], b.array());
        });
  }

  // ---------------------------------------------------------------- nodes

  /** Adds a node with the given output names. */
  void node(String op, String[] in, String[] out, Attr... attrs) {
    Msg n = new Msg();
    for (String s : in) {
      n.string(1, s); // input ("" = optional input left out)
    }
    for (String s : out) {
      n.string(2, s); // output
    }
    n.string(3, out[0]); // name
    n.string(4, op); // op_type
    for (Attr a : attrs) {
      Msg m = new Msg();
      m.string(1, a.name());
      m.int64(20, a.type()); // type
      switch (a.type()) {
        case ATTR_FLOAT -> m.float32(2, a.f());
        case ATTR_INT -> m.int64(3, a.i());
        case ATTR_INTS -> {
          for (long v : a.ints()) {
            m.int64(8, v);
          }
        }
        default -> throw new IllegalStateException("attribute type " + a.type());
      }
      n.message(5, m); // attribute
    }
    nodes.add(n.bytes());
  }

  /** A single-output node with a fresh output name. */
  String op(String op, String[] in, Attr... attrs) {
    String out = fresh(op.toLowerCase(java.util.Locale.ROOT));
    node(op, in, new String[] {out}, attrs);
    return out;
  }

  String op(String op, String a, Attr... attrs) {
    return op(op, new String[] {a}, attrs);
  }

  String op(String op, String a, String b, Attr... attrs) {
    return op(op, new String[] {a, b}, attrs);
  }

  // ---------------------------------------------------------------- serialization

  void write(OutputStream out, String producerVersion, String doc) {
    // GraphProto fields in order; the (large) initializers are streamed as they are, never copied
    // into one buffer
    List<Object[]> graph = new ArrayList<>();
    nodes.forEach(n -> graph.add(new Object[] {1, n})); // node
    graph.add(new Object[] {2, name.getBytes(java.nio.charset.StandardCharsets.UTF_8)}); // name
    initializers.forEach(t -> graph.add(new Object[] {5, t})); // initializer
    inputs.forEach(v -> graph.add(new Object[] {11, valueInfo(v).bytes()})); // input
    outputs.forEach(v -> graph.add(new Object[] {12, valueInfo(v).bytes()})); // output
    long size = 0;
    for (Object[] f : graph) {
      size += CodedOutputStream.computeByteArraySize((Integer) f[0], (byte[]) f[1]);
    }
    if (size > Integer.MAX_VALUE) {
      // protobuf's 2 GiB limit; external data files would be needed
      throw new IllegalArgumentException(
          "ONNX graph " + name + " is " + size + " bytes, over protobuf's 2 GiB limit");
    }
    Msg opset = new Msg();
    opset.string(1, ""); // domain: the default ONNX operator set
    opset.int64(2, OPSET); // version
    try {
      // the top-level ModelProto has no length prefix: written straight to the stream
      CodedOutputStream c = CodedOutputStream.newInstance(out);
      c.writeInt64(1, IR_VERSION); // ir_version
      c.writeString(2, "hatflow"); // producer_name
      c.writeString(3, producerVersion); // producer_version
      c.writeString(6, doc); // doc_string
      c.writeTag(7, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED); // graph
      c.writeUInt32NoTag((int) size);
      for (Object[] f : graph) {
        c.writeByteArray((Integer) f[0], (byte[]) f[1]);
      }
      c.writeByteArray(8, opset.bytes()); // opset_import
      c.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Msg valueInfo(Value v) {
    Msg shape = new Msg();
    for (Object d : v.dims()) {
      Msg dim = new Msg();
      if (d instanceof Long l) {
        dim.int64(1, l); // dim_value
      } else {
        dim.string(2, (String) d); // dim_param
      }
      shape.message(1, dim); // dim
    }
    Msg tensor = new Msg();
    tensor.int64(1, v.elemType()); // elem_type
    tensor.message(2, shape); // shape
    Msg type = new Msg();
    type.message(1, tensor); // tensor_type
    Msg info = new Msg();
    info.string(1, v.name()); // name
    info.message(2, type); // type
    return info;
  }

  static String typeName(int elemType) {
    return switch (elemType) {
      case FLOAT -> "float32";
      case UINT8 -> "uint8";
      case INT8 -> "int8";
      case INT32 -> "int32";
      case INT64 -> "int64";
      case BOOL -> "bool";
      default -> "type" + elemType;
    };
  }

  /**
   * One protobuf message being written: nested messages are serialized first and embedded as bytes.
   */
  private static final class Msg {
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private final CodedOutputStream out = CodedOutputStream.newInstance(buf);

    void int64(int field, long v) {
      io(() -> out.writeInt64(field, v));
    }

    void float32(int field, float v) {
      io(() -> out.writeFloat(field, v));
    }

    void string(int field, String v) {
      io(() -> out.writeString(field, v));
    }

    void bytes(int field, byte[] v) {
      io(() -> out.writeByteArray(field, v));
    }

    void message(int field, Msg m) {
      bytes(field, m.bytes());
    }

    byte[] bytes() {
      io(out::flush);
      return buf.toByteArray();
    }

    private interface IoAction {
      void run() throws IOException;
    }

    private static void io(IoAction a) {
      try {
        a.run();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
