package io.hatflow.transforms.search;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PDone;

/**
 * Writes several small record collections (a generation's population, statistics, evaluations:
 * thousands of records, not millions) as one Avro file each, through ONE shuffle for all of them.
 * AvroIO costs about three shuffles per sink, which dominated a generation's fixed cost on Flink.
 * Records are sorted by their encoding and the sync marker is fixed, so equal contents give
 * byte-identical files on any runner; each file is written under a temp name and renamed. An empty
 * collection writes no file (readers treat a missing file as empty).
 */
public final class SmallAvroFiles {
  private SmallAvroFiles() {}

  /** Accumulates outputs, then {@link #write()} them. */
  public static final class Builder {
    private final Map<String, String> schemas = new LinkedHashMap<>();
    private final List<PCollection<KV<String, byte[]>>> parts = new ArrayList<>();

    public <T extends SpecificRecordBase> Builder add(
        String name, PCollection<T> records, String path, Class<T> type) {
      Schema schema = schemaOf(type);
      schemas.put(path, schema.toString());
      parts.add(
          records
              .apply("Encode" + name, ParDo.of(new EncodeFn<T>(path, schema.toString())))
              .setCoder(KvCoder.of(StringUtf8Coder.of(), ByteArrayCoder.of())));
      return this;
    }

    public PDone write() {
      PCollection<KV<String, byte[]>> all =
          PCollectionList.of(parts).apply("AllOutputs", Flatten.pCollections());
      return all.apply("Write", new WriteFn(schemas));
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  static Schema schemaOf(Class<?> type) {
    try {
      return (Schema) type.getField("SCHEMA$").get(null);
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException(type + " is not an Avro specific record", e);
    }
  }

  static class EncodeFn<T extends SpecificRecordBase> extends DoFn<T, KV<String, byte[]>> {
    private final String path;
    private final String schemaJson;
    private transient SpecificDatumWriter<T> writer;

    EncodeFn(String path, String schemaJson) {
      this.path = path;
      this.schemaJson = schemaJson;
    }

    @Setup
    public void setup() {
      writer = new SpecificDatumWriter<>(new Schema.Parser().parse(schemaJson));
    }

    @ProcessElement
    public void process(@Element T record, OutputReceiver<KV<String, byte[]>> out)
        throws IOException {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      BinaryEncoder enc = EncoderFactory.get().binaryEncoder(bytes, null);
      writer.write(record, enc);
      enc.flush();
      out.output(KV.of(path, bytes.toByteArray()));
    }
  }

  static class WriteFn extends PTransform<PCollection<KV<String, byte[]>>, PDone> {
    private final Map<String, String> schemas;

    WriteFn(Map<String, String> schemas) {
      this.schemas = schemas;
    }

    @Override
    public PDone expand(PCollection<KV<String, byte[]>> input) {
      input
          .apply("GroupByFile", GroupByKey.create())
          .apply("WriteFile", ParDo.of(new WriteFileFn(new LinkedHashMap<>(schemas))));
      return PDone.in(input.getPipeline());
    }
  }

  static class WriteFileFn extends DoFn<KV<String, Iterable<byte[]>>, Void>
      implements Serializable {
    private final Map<String, String> schemas;

    WriteFileFn(Map<String, String> schemas) {
      this.schemas = schemas;
    }

    @ProcessElement
    public void process(@Element KV<String, Iterable<byte[]>> kv) throws IOException {
      List<byte[]> records = new ArrayList<>();
      kv.getValue().forEach(records::add);
      records.sort(Arrays::compareUnsigned);
      writeFile(kv.getKey(), new Schema.Parser().parse(schemas.get(kv.getKey())), records);
    }
  }

  /**
   * Writes already-encoded records as an Avro container file, atomically, through Beam's
   * FileSystems.
   */
  public static void writeFile(String path, Schema schema, List<byte[]> encoded)
      throws IOException {
    ResourceId dst = FileSystems.matchNewResource(path, false);
    ResourceId tmp =
        FileSystems.matchNewResource(path + ".tmp-" + Long.toHexString(System.nanoTime()), false);
    try (OutputStream os =
            Channels.newOutputStream(FileSystems.create(tmp, "application/octet-stream"));
        DataFileWriter<Object> w = new DataFileWriter<>(new GenericDatumWriter<>(schema))) {
      w.create(schema, os, syncMarker(schema));
      for (byte[] r : encoded) {
        w.appendEncoded(ByteBuffer.wrap(r));
      }
    }
    FileSystems.rename(List.of(tmp), List.of(dst));
  }

  /** A sync marker derived from the schema instead of a random one: reproducible files. */
  public static byte[] syncMarker(Schema schema) {
    return Arrays.copyOf(
        io.hatflow.core.run.Digests.sha256()
            .digest(schema.toString().getBytes(StandardCharsets.UTF_8)),
        16);
  }
}
