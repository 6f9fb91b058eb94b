package io.hatflow.transforms.prepare;

import io.hatflow.model.text.VocabularyFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.util.Map;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.MimeTypes;
import org.apache.beam.sdk.values.PCollection;

/**
 * Writes the vocabulary's files (our BPE's two, or the SentencePiece model) into a directory
 * through Beam FileSystems (local or gs://); emits its digest.
 */
public final class WriteVocabulary
    extends PTransform<PCollection<VocabularyFiles>, PCollection<String>> {
  private final String dir;

  private WriteVocabulary(String dir) {
    this.dir = dir;
  }

  public static WriteVocabulary to(String dir) {
    return new WriteVocabulary(dir);
  }

  public static void write(VocabularyFiles v, String dir) throws IOException {
    for (Map.Entry<String, byte[]> f : v.files().entrySet()) {
      write(dir, f.getKey(), f.getValue());
    }
  }

  private static void write(String dir, String name, byte[] bytes) throws IOException {
    String path = dir.endsWith("/") ? dir + name : dir + "/" + name;
    try (OutputStream out =
        Channels.newOutputStream(
            FileSystems.create(FileSystems.matchNewResource(path, false), MimeTypes.BINARY))) {
      out.write(bytes);
    }
  }

  @Override
  public PCollection<String> expand(PCollection<VocabularyFiles> vocab) {
    String d = dir;
    return vocab.apply(
        "Write",
        ParDo.of(
            new DoFn<VocabularyFiles, String>() {
              @ProcessElement
              public void process(@Element VocabularyFiles v, OutputReceiver<String> out)
                  throws IOException {
                write(v, d);
                out.output(v.digest());
              }
            }));
  }
}
