package io.hatflow.transforms.prepare;

import io.hatflow.schemas.SentencePair;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Reads one split's parallel text as raw {@link SentencePair}s (text only). Line alignment survives Beam's
 * unordered processing because each file is read sequentially with its line numbers, and the two sides are
 * joined on the line number. Fails with a {@link BadCorpusException} naming the file (and line) for an empty
 * corpus, sides with different line counts, invalid UTF-8, a line over {@value #MAX_LINE_CHARS} characters,
 * or a TSV line without exactly one tab.
 */
public final class ReadParallelCorpus extends PTransform<PBegin, PCollection<SentencePair>> {
  public static final int MAX_LINE_CHARS = 10_000;

  private final String split;
  private final CorpusFiles files;

  private ReadParallelCorpus(String split, CorpusFiles files) {
    this.split = split;
    this.files = files;
  }

  public static ReadParallelCorpus of(String split, CorpusFiles files) {
    return new ReadParallelCorpus(split, files);
  }

  @Override
  public PCollection<SentencePair> expand(PBegin begin) {
    return files.isTsv() ? expandTsv(begin) : expandPair(begin);
  }

  private PCollection<SentencePair> expandTsv(PBegin begin) {
    PCollection<KV<Long, String>> lines = begin.apply("ReadTsv", new ReadNumberedLines(files.tsv()));
    requireLines(begin, lines, null, "CheckTsv");
    String name = files.tsv();
    String s = split;
    return lines.apply("SplitTsv", ParDo.of(new DoFn<KV<Long, String>, SentencePair>() {
      @ProcessElement
      public void process(@Element KV<Long, String> line, OutputReceiver<SentencePair> out) {
        String text = line.getValue();
        int tab = text.indexOf('\t');
        if (tab < 0 || text.indexOf('\t', tab + 1) >= 0) {
          throw new BadCorpusException(name + " line " + line.getKey()
              + ": expected source<TAB>target (exactly one tab), found " + text.chars().filter(c -> c == '\t').count()
              + " tabs");
        }
        out.output(PairRules.rawPair(s, text.substring(0, tab), text.substring(tab + 1)));
      }
    })).setCoder(AvroCoder.of(SentencePair.class));
  }

  private PCollection<SentencePair> expandPair(PBegin begin) {
    PCollection<KV<Long, String>> src = begin.apply("ReadSource", new ReadNumberedLines(files.src()));
    PCollection<KV<Long, String>> tgt = begin.apply("ReadTarget", new ReadNumberedLines(files.tgt()));
    requireLines(begin, src, tgt, "CheckAlignment");
    TupleTag<String> srcTag = new TupleTag<>();
    TupleTag<String> tgtTag = new TupleTag<>();
    String s = split;
    return KeyedPCollectionTuple.of(srcTag, src).and(tgtTag, tgt)
        .apply("JoinOnLineNumber", CoGroupByKey.create())
        .apply("ToPair", ParDo.of(new DoFn<KV<Long, CoGbkResult>, SentencePair>() {
          @ProcessElement
          public void process(@Element KV<Long, CoGbkResult> joined, OutputReceiver<SentencePair> out) {
            String sl = joined.getValue().getOnly(srcTag, null);
            String tl = joined.getValue().getOnly(tgtTag, null);
            if (sl != null && tl != null) { // a one-sided line fails CheckAlignment
              out.output(PairRules.rawPair(s, sl, tl));
            }
          }
        })).setCoder(AvroCoder.of(SentencePair.class));
  }

  /** Fails the pipeline when a side is empty or the two sides differ in line count. */
  private void requireLines(PBegin begin, PCollection<KV<Long, String>> a, PCollection<KV<Long, String>> b,
      String name) {
    PCollectionView<Long> aCount = a.apply(name + "CountA", Count.globally()).apply(name + "ViewA", View.asSingleton());
    PCollectionView<Long> bCount = b == null ? null
        : b.apply(name + "CountB", Count.globally()).apply(name + "ViewB", View.asSingleton());
    String aName = files.isTsv() ? files.tsv() : files.src();
    String bName = files.tgt();
    ParDo.SingleOutput<String, Void> check = ParDo.of(new DoFn<String, Void>() {
      @ProcessElement
      public void process(ProcessContext c) {
        long na = c.sideInput(aCount);
        if (na == 0) {
          throw new BadCorpusException("empty corpus: " + aName + " has no lines");
        }
        if (bCount != null) {
          long nb = c.sideInput(bCount);
          if (nb == 0) {
            throw new BadCorpusException("empty corpus: " + bName + " has no lines");
          }
          if (na != nb) {
            throw new BadCorpusException("line counts differ: " + aName + " has " + na + " lines, " + bName
                + " has " + nb);
          }
        }
      }
    });
    check = bCount == null ? check.withSideInputs(aCount) : check.withSideInputs(aCount, bCount);
    begin.apply(name, Create.of(split)).apply(name + "Lines", check);
  }

  /** One file's lines keyed by 1-based line number; the file is read sequentially by one worker. */
  static final class ReadNumberedLines extends PTransform<PBegin, PCollection<KV<Long, String>>> {
    private final String path;

    ReadNumberedLines(String path) {
      this.path = path;
    }

    @Override
    public PCollection<KV<Long, String>> expand(PBegin begin) {
      return begin.apply("Match", FileIO.match().filepattern(path))
          .apply("Open", FileIO.readMatches().withCompression(Compression.AUTO))
          .apply("Lines", ParDo.of(new DoFn<FileIO.ReadableFile, KV<Long, String>>() {
            @ProcessElement
            public void process(@Element FileIO.ReadableFile file, OutputReceiver<KV<Long, String>> out)
                throws IOException {
              String name = file.getMetadata().resourceId().toString();
              try (InputStream in = Channels.newInputStream(file.open())) {
                readLines(in, name, (n, line) -> out.output(KV.of(n, line)));
              }
            }
          }))
          .setCoder(KvCoder.of(VarLongCoder.of(), StringUtf8Coder.of()));
    }
  }

  /** Receives (1-based line number, line). */
  public interface LineSink {
    void accept(long lineNo, String line);
  }

  /**
   * Splits a UTF-8 stream into lines ({@code \n} or {@code \r\n}), strictly decoded: invalid UTF-8 and lines over
   * {@link #MAX_LINE_CHARS} characters fail with the file name and line number. A leading byte-order mark is dropped.
   */
  public static void readLines(InputStream raw, String name, LineSink sink) throws IOException {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    InputStream in = new BufferedInputStream(raw, 1 << 16);
    ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
    long lineNo = 0;
    int b;
    boolean any = false;
    while (true) {
      b = in.read();
      if (b == -1 || b == '\n') {
        if (b == -1 && !any) {
          break;
        }
        lineNo++;
        byte[] bytes = buf.toByteArray();
        int len = bytes.length;
        if (len > 0 && bytes[len - 1] == '\r') {
          len--;
        }
        String line;
        try {
          line = decoder.decode(ByteBuffer.wrap(bytes, 0, len)).toString();
        } catch (CharacterCodingException e) {
          throw new BadCorpusException(name + " line " + lineNo + ": invalid UTF-8");
        }
        if (lineNo == 1 && line.startsWith("\uFEFF")) {
          line = line.substring(1);
        }
        if (line.length() > MAX_LINE_CHARS) {
          throw new BadCorpusException(name + " line " + lineNo + ": " + line.length()
              + " characters, more than the limit of " + MAX_LINE_CHARS);
        }
        sink.accept(lineNo, line);
        buf.reset();
        any = false;
        if (b == -1) {
          break;
        }
      } else {
        any = true;
        if (buf.size() > 4 * MAX_LINE_CHARS + 4) {
          throw new BadCorpusException(name + " line " + (lineNo + 1) + ": more than the limit of "
              + MAX_LINE_CHARS + " characters");
        }
        buf.write(b);
      }
    }
  }
}
