package io.hatflow.core.latency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LatencyCsvTest {
  @TempDir Path tmp;

  static final String HEADER = String.join(",", LatencyCsv.HEADER);
  static final String ROW1 =
      "640,6,1194.6666666666667,4.666666666666667,640,3,1877.3333333333333,4.0,5.333333333333333,"
          + "2.0,9.922519326210022,236.7689162492752,0.13167024810744782,12.7322462760344";
  static final String ROW2 =
      "512,6,1536.0,3.3333333333333335,640,3,1024.0,4.0,4.0,2.0,9.519174695014954,"
          + "215.15774726867676,0.028688195255228623,7.823612603866664";

  private Path csv(String... lines) throws IOException {
    Path f = tmp.resolve("lat.csv");
    Files.writeString(f, String.join("\n", lines) + "\n");
    return f;
  }

  private LatencyCsvException fails(String... lines) throws IOException {
    Path f = csv(lines);
    LatencyCsvException e = assertThrows(LatencyCsvException.class, () -> LatencyCsv.read(f));
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    return e;
  }

  @Test
  void readsHatsXeonDataset() {
    LatencyTable t = LatencyCsv.read(TestData.xeonCsv());
    assertEquals(2000, t.size());
    LatencyRow r = t.row(0);
    assertEquals(640, r.feature(0));
    assertEquals(1194.6666666666667, r.feature(2));
    assertEquals(9.922519326210022 + 236.7689162492752, r.targetMs(), 1e-12);
    assertEquals(12.7322462760344, r.stdDecoderMs());
  }

  @Test
  void wrongHeaderNamesTheColumn() throws IOException {
    LatencyCsvException e = fails(HEADER.replace("decoder_layer_num", "dec_layers"), ROW1);
    assertTrue(
        e.getMessage().contains(":1:")
            && e.getMessage().contains("'dec_layers'")
            && e.getMessage().contains("'decoder_layer_num'"),
        e.getMessage());
    LatencyCsvException missing = fails(HEADER.replace(",latency_std_decoder", ""), ROW1);
    assertTrue(missing.getMessage().contains("latency_std_decoder"), missing.getMessage());
  }

  @Test
  void extraHeaderColumnIsNamedWithTheExpectedColumns() throws IOException {
    LatencyCsvException e = fails(HEADER + ",device", ROW1);
    assertTrue(
        e.getMessage()
            .contains(
                ":1: not HAT's latency header: unexpected extra column "
                    + (LatencyCsv.HEADER.size() + 1)
                    + " ('device'); expected the columns: "
                    + HEADER),
        e.getMessage());
  }

  @Test
  void nonNumericValueNamesLineAndColumn() throws IOException {
    LatencyCsvException e = fails(HEADER, ROW1, ROW2.replace("1024.0", "1k"));
    assertTrue(
        e.getMessage().contains(":3:")
            && e.getMessage().contains("'decoder_ffn_embed_dim_avg'")
            && e.getMessage().contains("\"1k\""),
        e.getMessage());
  }

  @Test
  void nanAndInfinityAreRejected() throws IOException {
    LatencyCsvException nan = fails(HEADER, ROW1.replace("236.7689162492752", "NaN"));
    assertTrue(
        nan.getMessage().contains(":2:") && nan.getMessage().contains("'latency_mean_decoder'"),
        nan.getMessage());
    LatencyCsvException inf = fails(HEADER, ROW2, ROW1.replace("9.922519326210022", "Infinity"));
    assertTrue(
        inf.getMessage().contains(":3:") && inf.getMessage().contains("'latency_mean_encoder'"),
        inf.getMessage());
  }

  @Test
  void negativeValueIsRejected() throws IOException {
    LatencyCsvException e = fails(HEADER, ROW1, ROW2.replace("7.823612603866664", "-7.8"));
    assertTrue(
        e.getMessage().contains(":3:")
            && e.getMessage().contains("'latency_std_decoder'")
            && e.getMessage().contains("non-negative"),
        e.getMessage());
  }

  @Test
  void wrongColumnCountNamesTheLine() throws IOException {
    LatencyCsvException e = fails(HEADER, ROW1, ROW2 + ",1.0");
    assertTrue(
        e.getMessage().contains(":3:")
            && e.getMessage().contains("expected 14 columns")
            && e.getMessage().contains("found 15"),
        e.getMessage());
    LatencyCsvException shorter = fails(HEADER, ROW1.substring(0, ROW1.lastIndexOf(',')));
    assertTrue(
        shorter.getMessage().contains(":2:") && shorter.getMessage().contains("found 13"),
        shorter.getMessage());
  }

  @Test
  void duplicateRowNamesBothLines() throws IOException {
    LatencyCsvException e = fails(HEADER, ROW1, ROW2, ROW1);
    assertTrue(
        e.getMessage().contains(":4:")
            && e.getMessage().contains("duplicate")
            && e.getMessage().contains("line 2"),
        e.getMessage());
  }

  @Test
  void sameFeaturesWithOtherLatenciesAreKept() throws IOException {
    String remeasured = ROW1.replace("236.7689162492752", "240.5");
    assertEquals(2, LatencyCsv.read(csv(HEADER, ROW1, remeasured)).size());
  }

  @Test
  void emptyFileAndHeaderOnlyFail() throws IOException {
    Path empty = tmp.resolve("empty.csv");
    Files.writeString(empty, "");
    assertThrows(LatencyCsvException.class, () -> LatencyCsv.read(empty));
    fails(HEADER);
  }

  @Test
  void writeThenReadRoundTripsExactly() throws IOException {
    LatencyTable t = LatencyCsv.read(TestData.xeonCsv());
    Path out = tmp.resolve("sub/copy.csv");
    LatencyCsv.write(out, t.rows());
    LatencyTable back = LatencyCsv.read(out);
    assertEquals(t.rows(), back.rows());
    List<String> lines = Files.readAllLines(out);
    assertEquals(HEADER, lines.get(0));
    assertTrue(lines.get(1).startsWith("640,6,1194.6666666666667,"), lines.get(1));
    try (var files = Files.list(out.getParent())) {
      assertEquals(1, files.count(), "no temporary file left behind");
    }
  }
}
