package io.hatflow.pipelines.io;

import io.hatflow.transforms.search.SmallAvroFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * Small Avro and text files read and written by the driver, by URI through Beam's FileSystems
 * (local paths, {@code hdfs://}, {@code gs://}): written to a temp name then renamed,
 * byte-reproducible.
 */
public final class AvroFiles {
  private AvroFiles() {}

  public static boolean exists(String uri) {
    try {
      return !FileSystems.match(uri, EmptyMatchTreatment.ALLOW).metadata().isEmpty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + uri, e);
    }
  }

  public static <T extends SpecificRecord> List<T> read(Path file, Class<T> type) {
    return read(file.toString(), type);
  }

  public static <T extends SpecificRecord> List<T> read(String uri, Class<T> type) {
    List<T> out = new ArrayList<>();
    try {
      List<MatchResult.Metadata> m = FileSystems.match(uri, EmptyMatchTreatment.ALLOW).metadata();
      if (m.isEmpty()) {
        return out;
      }
      try (InputStream in = Channels.newInputStream(FileSystems.open(m.get(0).resourceId()));
          DataFileStream<T> r = new DataFileStream<>(in, new SpecificDatumReader<>(type))) {
        r.forEach(out::add);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + uri + ": " + e.getMessage(), e);
    }
    return out;
  }

  public static <T extends SpecificRecordBase> void write(
      Path file, Class<T> type, List<T> records) {
    write(file.toString(), type, records);
  }

  /**
   * Writes records atomically. The sync marker (random by default) is derived from the schema, so
   * equal records give byte-identical files and runs can be compared byte for byte.
   */
  public static <T extends SpecificRecordBase> void write(
      String uri, Class<T> type, List<T> records) {
    try {
      Schema schema = (Schema) type.getField("SCHEMA$").get(null);
      SpecificDatumWriter<T> writer = new SpecificDatumWriter<>(type);
      List<byte[]> encoded = new ArrayList<>();
      for (T r : records) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(bytes, null);
        writer.write(r, enc);
        enc.flush();
        encoded.add(bytes.toByteArray());
      }
      SmallAvroFiles.writeFile(uri, schema, encoded);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + uri + ": " + e.getMessage(), e);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  public static void writeText(Path file, String text) {
    writeText(file.toString(), text);
  }

  public static void writeText(String uri, String text) {
    try {
      ResourceId dst = FileSystems.matchNewResource(uri, false);
      ResourceId tmp = FileSystems.matchNewResource(uri + ".tmp", false);
      try (OutputStream os = Channels.newOutputStream(FileSystems.create(tmp, "text/plain"))) {
        os.write(text.getBytes(StandardCharsets.UTF_8));
      }
      FileSystems.rename(List.of(tmp), List.of(dst));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + uri + ": " + e.getMessage(), e);
    }
  }

  /** Deletes everything under {@code uri} (a folder), if anything. */
  public static void deleteTree(String uri) {
    try {
      List<ResourceId> ids = new ArrayList<>();
      String base = uri.replaceAll("/+$", "");
      for (String rel : io.hatflow.transforms.io.Artifacts.listFiles(base)) {
        ids.add(FileSystems.matchNewResource(base + "/" + rel, false));
      }
      FileSystems.delete(ids, MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + uri + ": " + e.getMessage(), e);
    }
  }
}
