package io.hatflow.core.bleu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BleuFilesTest {
  @TempDir Path dir;

  private Path write(String name, byte[] bytes) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  private Path write(String name, String text) throws IOException {
    return write(name, text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void readLinesSplitsOnNewlineOnly() throws IOException {
    // Like Python's open(newline="\n"): \r stays in the line, a lone \r does not split, no trailing
    // empty line.
    Path p = write("a.txt", "one\r\ntwo\rstill two\n\nlast without newline");
    assertEquals(List.of("one\r", "two\rstill two", "", "last without newline"), Bleu.readLines(p));
    assertEquals(List.of("x"), Bleu.readLines(write("b.txt", "x\n")));
    assertEquals(List.of(), Bleu.readLines(write("c.txt", "")));
    assertEquals(List.of("Grüße 😀"), Bleu.readLines(write("d.txt", "Grüße 😀\n")));
  }

  @Test
  void readLinesRejectsInvalidUtf8WithFileAndLine() throws IOException {
    byte[] bytes = {'o', 'k', '\n', 'b', 'a', 'd', (byte) 0xC3, '(', '\n'};
    Path p = write("bad.txt", bytes);
    BleuInputException e = assertThrows(BleuInputException.class, () -> Bleu.readLines(p));
    assertEquals(p + ": line 2: invalid UTF-8 at byte 4 of the line", e.getMessage());
  }

  @Test
  void readsGzip() throws IOException {
    Path p = dir.resolve("z.txt.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(p))) {
      out.write("a b\nc d\n".getBytes(StandardCharsets.UTF_8));
    }
    assertEquals(List.of("a b", "c d"), Bleu.readLines(p));
  }

  @Test
  void scoreFilesMatchesInMemoryAndChecksLineCounts() throws IOException {
    Path hyp = write("hyp.txt", "the cat the dog\n");
    Path ref = write("ref.txt", "the dog the cat\n");
    BleuScore s = Bleu.scoreFiles(hyp, ref, BleuOptions.defaults());
    assertEquals(45.18010018049227, s.score(), 1e-9);

    Path ref2 = write("ref2.txt", "a\nb\n");
    BleuInputException e =
        assertThrows(
            BleuInputException.class, () -> Bleu.scoreFiles(hyp, ref2, BleuOptions.defaults()));
    assertEquals(
        "BLEU line count mismatch: hypothesis file "
            + hyp
            + " has 1 lines but reference file "
            + ref2
            + " has 2 lines",
        e.getMessage());
  }

  @Test
  void realCorpusAgainstItselfAndAPerturbedCopy() throws IOException {
    Path de = Path.of("/work/shared/data/multi30k/test_2016_flickr.de.gz");
    Assumptions.assumeTrue(Files.exists(de));
    List<String> ref = Bleu.readLines(de);
    assertEquals(1000, ref.size());
    assertEquals(100.0, Bleu.corpusBleu(ref, ref, BleuOptions.defaults()).score(), 1e-9);
    // Dropping each sentence's last word shortens the output: BP < 1 and the score drops.
    List<String> hyp = new ArrayList<>();
    for (String line : ref) {
      int cut = line.lastIndexOf(' ');
      hyp.add(cut > 0 ? line.substring(0, cut) : line);
    }
    BleuScore s = Bleu.corpusBleu(hyp, ref, BleuOptions.defaults());
    assertTrue(s.bp() < 1.0 && s.score() < 100.0 && s.score() > 50.0, s.formatted());
    assertEquals(s.sysLen(), s.counts()[0]); // every remaining unigram is still in its reference
  }
}
