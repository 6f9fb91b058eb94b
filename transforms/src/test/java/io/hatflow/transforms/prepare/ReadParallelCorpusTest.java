package io.hatflow.transforms.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.schemas.SentencePair;
import io.hatflow.transforms.testing.TestPipelineExtension;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(TestPipelineExtension.class)
class ReadParallelCorpusTest {
  /**
   * Checked by Beam's rule: a test that builds a pipeline must run it, with every PAssert in it.
   */
  final transient TestPipeline p = TestPipeline.create();

  @TempDir Path dir;

  Path file(String name, String content) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, content, StandardCharsets.UTF_8);
    return p;
  }

  Path gz(String name, String content) throws Exception {
    Path p = dir.resolve(name);
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(p))) {
      o.write(content.getBytes(StandardCharsets.UTF_8));
    }
    return p;
  }

  List<String> read(CorpusFiles f) throws Exception {
    List<String> out = new ArrayList<>();
    ReadParallelCorpus.read(f, (s, t) -> out.add(s + "|" + t));
    return out;
  }

  @Test
  void readsAlignedPlainGzipAndTsv() throws Exception {
    Path en = file("a.en", "\uFEFFone\r\ntwo\n\nfour");
    Path de = gz("a.de.gz", "eins\nzwei\n\nvier\n");
    assertEquals(
        List.of("one|eins", "two|zwei", "|", "four|vier"),
        read(CorpusFiles.of(en.toString(), de.toString())));
    Path tsv = file("a.tsv", "one\teins\ntwo\tzwei\n");
    assertEquals(List.of("one|eins", "two|zwei"), read(CorpusFiles.tsv(tsv.toString())));
  }

  @Test
  void badInputNamesFileAndLine() throws Exception {
    Path en = file("b.en", "a\nb\nc\n");
    Path de = file("b.de", "a\nb\n");
    BadCorpusException e =
        assertThrows(
            BadCorpusException.class, () -> read(CorpusFiles.of(en.toString(), de.toString())));
    assertEquals("line counts differ: " + en + " has 3 lines, " + de + " has 2", e.getMessage());

    Path bad = dir.resolve("bad.de");
    Files.write(bad, new byte[] {'o', 'k', '\n', 'x', (byte) 0xC3, (byte) 0x28, '\n', 'z', '\n'});
    e =
        assertThrows(
            BadCorpusException.class, () -> read(CorpusFiles.of(en.toString(), bad.toString())));
    assertEquals(bad + " line 2: invalid UTF-8", e.getMessage());

    Path longLine =
        file("long.en", "a\n" + "x".repeat(ReadParallelCorpus.MAX_LINE_CHARS + 1) + "\nc\n");
    e =
        assertThrows(
            BadCorpusException.class,
            () -> read(CorpusFiles.of(longLine.toString(), en.toString())));
    assertTrue(e.getMessage().startsWith(longLine + " line 2: 10001 characters"), e.getMessage());

    Path empty = file("empty.en", "");
    Path empty2 = file("empty.de", "");
    e =
        assertThrows(
            BadCorpusException.class,
            () -> read(CorpusFiles.of(empty.toString(), empty2.toString())));
    assertTrue(e.getMessage().startsWith("empty corpus: " + empty), e.getMessage());

    Path tsv = file("c.tsv", "a\tb\nno tab here\n");
    e = assertThrows(BadCorpusException.class, () -> read(CorpusFiles.tsv(tsv.toString())));
    assertTrue(
        e.getMessage().startsWith(tsv + " line 2: expected source<TAB>target"), e.getMessage());
  }

  @Test
  void readsInAPipeline() throws Exception {
    StringBuilder en = new StringBuilder();
    StringBuilder de = new StringBuilder();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      en.append("sentence ").append(i).append('\n');
      de.append("Satz ").append(i).append('\n');
      expected.add("train|sentence " + i + "|Satz " + i);
    }
    Path s = gz("p.en.gz", en.toString());
    Path t = file("p.de", de.toString());
    PCollection<String> got =
        p.apply(ReadParallelCorpus.of("train", CorpusFiles.of(s.toString(), t.toString())))
            .apply(
                MapElements.into(TypeDescriptors.strings())
                    .via((SentencePair x) -> x.getSplit() + "|" + x.getSrc() + "|" + x.getTgt()));
    PAssert.that(got).containsInAnyOrder(expected);
    p.run().waitUntilFinish();
  }
}
