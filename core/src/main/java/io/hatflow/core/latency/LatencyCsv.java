package io.hatflow.core.latency;

import io.hatflow.core.space.Features;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

/**
 * Reads and writes HAT's latency-dataset CSV ({@code latency_dataset/*.csv} of
 * mit-han-lab/hardware-aware-transformers).
 *
 * <p>Validation on read: the header must be exactly {@link #HEADER}; every row has 14 columns, each
 * a finite, non-negative number. A <em>duplicate</em> is a row identical to an earlier one in all
 * 14 columns (a copy-paste or double import); rows with equal features but different latencies are
 * kept, since repeated measurements of one config are legitimate data.
 */
public final class LatencyCsv {
  private LatencyCsv() {}

  /**
   * HAT's header: the 10 features, then encoder/decoder latency means and standard deviations (ms).
   */
  public static final List<String> HEADER =
      Stream.concat(
              Features.NAMES.stream(),
              Stream.of(
                  "latency_mean_encoder",
                  "latency_mean_decoder",
                  "latency_std_encoder",
                  "latency_std_decoder"))
          .toList();

  private static final CSVFormat FORMAT =
      CSVFormat.DEFAULT
          .builder()
          .setIgnoreEmptyLines(
              false) // keep record number == line number (no multi-line values in numeric data)
          .setRecordSeparator("\n")
          .get();

  public static LatencyTable read(Path file) {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return read(file.toString(), r);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read latency dataset " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads a HAT CSV already in memory (e.g. fetched through Beam FileSystems from {@code gs://});
   * {@code name} is what errors call the file.
   */
  public static LatencyTable read(String name, byte[] bytes) {
    try (Reader r =
        new java.io.InputStreamReader(
            new java.io.ByteArrayInputStream(bytes), StandardCharsets.UTF_8)) {
      return read(name, r);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read latency dataset " + name + ": " + e.getMessage(), e);
    }
  }

  private static LatencyTable read(String name, Reader r) throws IOException {
    try (CSVParser parser = CSVParser.parse(r, FORMAT)) {
      return parse(name, parser);
    } catch (IllegalStateException | UncheckedIOException e) {
      // commons-csv reports malformed quoting as unchecked exceptions
      throw new LatencyCsvException(name + ": malformed CSV: " + e.getMessage(), e);
    }
  }

  private static LatencyTable parse(String file, CSVParser parser) {
    List<LatencyRow> rows = new ArrayList<>();
    Map<LatencyRow, Long> firstLine = new HashMap<>();
    boolean headerSeen = false;
    for (CSVRecord rec : parser) {
      long line = rec.getRecordNumber();
      if (rec.size() == 1 && rec.get(0).isBlank()) {
        continue; // blank line
      }
      if (!headerSeen) {
        checkHeader(file, line, rec);
        headerSeen = true;
        continue;
      }
      if (rec.size() != HEADER.size()) {
        throw new LatencyCsvException(
            String.format(
                "%s:%d: expected %d columns (%s), found %d",
                file, line, HEADER.size(), String.join(",", HEADER), rec.size()));
      }
      double[] v = new double[HEADER.size()];
      for (int c = 0; c < v.length; c++) {
        v[c] = parseValue(file, line, HEADER.get(c), rec.get(c));
      }
      LatencyRow row = new LatencyRow(java.util.Arrays.copyOf(v, 10), v[10], v[11], v[12], v[13]);
      Long earlier = firstLine.putIfAbsent(row, line);
      if (earlier != null) {
        throw new LatencyCsvException(
            String.format(
                "%s:%d: duplicate row: identical in every column (%s ... %s) to line %d",
                file, line, HEADER.get(0), HEADER.get(HEADER.size() - 1), earlier));
      }
      rows.add(row);
    }
    if (!headerSeen) {
      throw new LatencyCsvException(
          file + ":1: empty file; expected HAT's header " + String.join(",", HEADER));
    }
    if (rows.isEmpty()) {
      throw new LatencyCsvException(file + ": no data rows after the header");
    }
    return new LatencyTable(file, rows);
  }

  private static void checkHeader(String file, long line, CSVRecord rec) {
    List<String> got = rec.toList().stream().map(String::strip).toList();
    if (!got.isEmpty()) {
      got = new ArrayList<>(got);
      got.set(0, got.get(0).replace("\uFEFF", "")); // tolerate a UTF-8 byte-order mark only
    }
    if (got.equals(HEADER)) {
      return;
    }
    for (int c = 0; c < Math.max(got.size(), HEADER.size()); c++) {
      if (c >= HEADER.size()) {
        throw new LatencyCsvException(
            String.format(
                "%s:%d: not HAT's latency header: unexpected extra column %d ('%s'); expected the columns: %s",
                file, line, c + 1, got.get(c), String.join(",", HEADER)));
      }
      String want = HEADER.get(c);
      String have = c < got.size() ? got.get(c) : "(missing)";
      if (!want.equals(have)) {
        throw new LatencyCsvException(
            String.format(
                "%s:%d: not HAT's latency header: column %d is '%s', expected '%s' (full header: %s)",
                file, line, c + 1, have, want, String.join(",", HEADER)));
      }
    }
    throw new LatencyCsvException(file + ":" + line + ": not HAT's latency header");
  }

  private static double parseValue(String file, long line, String column, String text) {
    double x;
    try {
      x = Double.parseDouble(text.strip());
    } catch (NumberFormatException e) {
      throw new LatencyCsvException(
          String.format("%s:%d: column '%s': not a number: \"%s\"", file, line, column, text));
    }
    if (Double.isNaN(x) || Double.isInfinite(x)) {
      throw new LatencyCsvException(
          String.format(
              "%s:%d: column '%s': must be finite, got \"%s\"", file, line, column, text));
    }
    if (x < 0) {
      throw new LatencyCsvException(
          String.format(
              "%s:%d: column '%s': must be non-negative, got %s", file, line, column, text));
    }
    return x;
  }

  /**
   * Writes rows under HAT's header, to a temporary file in the same directory that is then renamed
   * over {@code file}.
   */
  public static void write(Path file, List<LatencyRow> rows) {
    Path dir = file.toAbsolutePath().getParent();
    try {
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
      try {
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8);
            CSVPrinter out = new CSVPrinter(w, FORMAT)) {
          out.printRecord(HEADER);
          for (LatencyRow row : rows) {
            List<String> cells = new ArrayList<>(HEADER.size());
            for (double v : row.values()) {
              cells.add(format(v));
            }
            out.printRecord(cells);
          }
        }
        moveAtomically(tmp, file);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write latency dataset " + file + ": " + e.getMessage(), e);
    }
  }

  /** Integers as HAT writes them ({@code 640}), others in Java's shortest round-tripping form. */
  static String format(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return Double.toString(v);
  }

  static void moveAtomically(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
