package io.hatflow.transforms.prepare;

import io.hatflow.schemas.SentencePair;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * Reads one split's parallel text as raw {@link SentencePair}s (text only, split set). The two
 * sides are read in lock step by one worker, so line alignment cannot be lost to Beam's unordered
 * processing and a count mismatch is seen with both counts; the pairs are spread over workers
 * afterwards ({@link DropDuplicates} shuffles them). Plain or gzip (by the {@code .gz} name),
 * through Beam FileSystems (local, gs://).
 *
 * <p>Fails with a {@link BadCorpusException} naming the file and line for: an empty corpus, sides
 * with different line counts (both files and counts named), invalid UTF-8, a line over {@value
 * #MAX_LINE_CHARS} characters, a TSV line without exactly one tab.
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
    String s = split;
    return begin
        .apply("Files", Create.of(files).withCoder(SerializableCoder.of(CorpusFiles.class)))
        .apply(
            "ReadAligned",
            ParDo.of(
                new DoFn<CorpusFiles, SentencePair>() {
                  @ProcessElement
                  public void process(@Element CorpusFiles f, OutputReceiver<SentencePair> out)
                      throws IOException {
                    read(f, (src, tgt) -> out.output(PairRules.rawPair(s, src, tgt)));
                  }
                }))
        .setCoder(AvroCoder.specific(SentencePair.class));
  }

  /** Receives one aligned raw pair. */
  public interface PairSink {
    void accept(String src, String tgt);
  }

  /** Reads a corpus sequentially, checking everything the class comment lists. */
  public static void read(CorpusFiles f, PairSink sink) throws IOException {
    if (f.isTsv()) {
      try (LineReader r = LineReader.open(f.tsv())) {
        String line;
        while ((line = r.next()) != null) {
          int tab = line.indexOf('\t');
          if (tab < 0 || line.indexOf('\t', tab + 1) >= 0) {
            throw new BadCorpusException(
                f.tsv()
                    + " line "
                    + r.lineNo()
                    + ": expected source<TAB>target (exactly one tab), found "
                    + line.chars().filter(c -> c == '\t').count()
                    + " tabs");
          }
          sink.accept(line.substring(0, tab), line.substring(tab + 1));
        }
        if (r.lineNo() == 0) {
          throw new BadCorpusException("empty corpus: " + f.tsv() + " has no lines");
        }
      }
      return;
    }
    try (LineReader a = LineReader.open(f.src());
        LineReader b = LineReader.open(f.tgt())) {
      while (true) {
        String sl = a.next();
        String tl = b.next();
        if (sl == null || tl == null) {
          if (sl != null || tl != null) {
            LineReader longer = sl != null ? a : b;
            while (longer.next() != null) {
              // count the rest for the message
            }
            throw new BadCorpusException(
                "line counts differ: "
                    + f.src()
                    + " has "
                    + a.lineNo()
                    + " lines, "
                    + f.tgt()
                    + " has "
                    + b.lineNo());
          }
          break;
        }
        sink.accept(sl, tl);
      }
      if (a.lineNo() == 0) {
        throw new BadCorpusException(
            "empty corpus: " + f.src() + " and " + f.tgt() + " have no lines");
      }
    }
  }

  /**
   * Strict UTF-8 lines ({@code \n} or {@code \r\n}) of one file: invalid UTF-8 and over-long lines
   * fail with the file name and 1-based line number; a leading byte-order mark is dropped.
   */
  public static final class LineReader implements AutoCloseable {
    private final InputStream in;
    private final String name;
    private final CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private byte[] buf = new byte[256];
    private long lineNo;
    private boolean eof;

    public LineReader(InputStream in, String name) {
      this.in = in instanceof BufferedInputStream ? in : new BufferedInputStream(in, 1 << 16);
      this.name = name;
    }

    /** Opens a local or remote file, gunzipping by name. */
    public static LineReader open(String path) throws IOException {
      MatchResult.Metadata m = FileSystems.matchSingleFileSpec(path);
      if (m.resourceId().isDirectory()) {
        throw new BadCorpusException(path + " is a directory, expected a file");
      }
      try {
        InputStream raw =
            Channels.newInputStream(
                Compression.detect(path).readDecompressed(FileSystems.open(m.resourceId())));
        return new LineReader(raw, path);
      } catch (IOException e) {
        badInputIfDamaged(path, e);
        throw e;
      }
    }

    /**
     * A damaged compressed file is bad input, named: the decompressor's own exception (an
     * EOFException for a truncated .gz) names no file. Other read errors (a disk or network
     * failure) are left to the caller.
     */
    static void badInputIfDamaged(String path, IOException e) {
      String msg = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
      Compression c = Compression.detect(path);
      String lower = msg.toLowerCase(java.util.Locale.ROOT);
      if (c != Compression.UNCOMPRESSED
          && (e instanceof java.io.EOFException
              || e instanceof java.util.zip.ZipException
              || lower.contains("corrupt")
              || lower.contains("truncated")
              || lower.contains("unexpected end"))) {
        throw new BadCorpusException(
            path
                + ": truncated or corrupt "
                + c.name().toLowerCase(java.util.Locale.ROOT)
                + " file ("
                + msg
                + ")");
      }
      if (msg.endsWith("(Is a directory)")) {
        throw new BadCorpusException(path + " is a directory, expected a file");
      }
    }

    public long lineNo() {
      return lineNo;
    }

    /** The next line, or null at the end. */
    public String next() throws IOException {
      if (eof) {
        return null;
      }
      int n = 0;
      int b;
      while ((b = read()) != -1 && b != '\n') {
        if (n == buf.length) {
          if (n > 4 * MAX_LINE_CHARS) {
            throw new BadCorpusException(
                name
                    + " line "
                    + (lineNo + 1)
                    + ": more than the limit of "
                    + MAX_LINE_CHARS
                    + " characters");
          }
          buf = Arrays.copyOf(buf, n * 2);
        }
        buf[n++] = (byte) b;
      }
      if (b == -1) {
        eof = true;
        if (n == 0) {
          return null;
        }
      }
      lineNo++;
      if (n > 0 && buf[n - 1] == '\r') {
        n--;
      }
      String line;
      try {
        line = decoder.decode(ByteBuffer.wrap(buf, 0, n)).toString();
      } catch (CharacterCodingException e) {
        throw new BadCorpusException(name + " line " + lineNo + ": invalid UTF-8");
      }
      if (lineNo == 1 && line.startsWith("\uFEFF")) {
        line = line.substring(1);
      }
      if (line.length() > MAX_LINE_CHARS) {
        throw new BadCorpusException(
            name
                + " line "
                + lineNo
                + ": "
                + line.length()
                + " characters, more than the limit of "
                + MAX_LINE_CHARS);
      }
      return line;
    }

    private int read() throws IOException {
      try {
        return in.read();
      } catch (IOException e) {
        badInputIfDamaged(name, e);
        throw e;
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
