package io.hatflow.pipelines.search;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.specific.SpecificRecordBase;

/** Small Avro files read and written by the driver: written to a temp name then renamed, byte-reproducible. */
final class AvroFiles {
  private AvroFiles() {}

  static <T extends SpecificRecord> List<T> read(Path file, Class<T> type) {
    List<T> out = new ArrayList<>();
    if (!Files.exists(file)) {
      return out;
    }
    try (DataFileReader<T> r = new DataFileReader<>(file.toFile(), new SpecificDatumReader<>(type))) {
      r.forEach(out::add);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return out;
  }

  /**
   * Writes records atomically. The sync marker (random by default) is derived from the schema, so equal
   * records give byte-identical files and runs can be compared byte for byte.
   */
  static <T extends SpecificRecordBase> void write(Path file, Class<T> type, List<T> records) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      org.apache.avro.Schema schema = (org.apache.avro.Schema) type.getField("SCHEMA$").get(null);
      byte[] sync = io.hatflow.transforms.search.SmallAvroFiles.syncMarker(schema);
      try (OutputStream os = Files.newOutputStream(tmp);
           DataFileWriter<T> w = new DataFileWriter<>(new SpecificDatumWriter<>(type))) {
        w.create(schema, os, sync);
        for (T r : records) {
          w.append(r);
        }
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  static void writeText(Path file, String text) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, text);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
