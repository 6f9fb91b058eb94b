package io.hatflow.pipelines.cli;

import io.hatflow.core.run.UserInputException;
import io.hatflow.core.text.Normalizer;
import io.hatflow.core.text.SubwordVocabulary;
import io.hatflow.model.decode.DecodeConfig;
import io.hatflow.model.decode.OnnxTranslator;
import io.hatflow.model.decode.Translator;
import io.hatflow.model.export.OnnxExport;
import io.hatflow.model.text.VocabularyFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "translate",
    mixinStandardHelpOptions = true,
    description =
        "Translate a file, one sentence per line, with a trained or extracted SubTransformer, or its ONNX"
            + " export on ONNX Runtime (a directory with export.json).")
public final class TranslateCommand implements Callable<Integer> {
  @Option(
      names = "--model",
      required = true,
      paramLabel = "DIR",
      description =
          "A SubTransformer directory"
              + " (finalize/models/<winner>/ or an extraction), or an ONNX export (finalize/export/<winner>/, hatflow export).")
  Path model;

  @Option(names = "--int8", description = "With an ONNX export: its int8 models.")
  boolean int8;

  @Option(
      names = "--vocab",
      paramLabel = "DIR",
      description =
          "Vocabulary directory, BPE or SentencePiece (default: <model>/vocab, else the run's prepare/vocab).")
  Path vocab;

  @Option(names = "--input", required = true, paramLabel = "FILE")
  Path input;

  @Option(
      names = "--beam",
      defaultValue = "4",
      description = "Beam size (1 = greedy). Default: ${DEFAULT-VALUE}.")
  int beam;

  @Option(
      names = "--lenpen",
      defaultValue = "0.6",
      description = "Length penalty. Default: ${DEFAULT-VALUE}.")
  double lenpen;

  @Option(names = "--threads", defaultValue = "1")
  int threads;

  @Override
  public Integer call() throws Exception {
    if (!Files.isDirectory(model)) {
      throw new UserInputException("--model " + model + ": not a directory");
    }
    List<String> src = new ArrayList<>();
    for (String line : Files.readAllLines(input, StandardCharsets.UTF_8)) {
      src.add(Normalizer.normalize(line));
    }
    DecodeConfig dc =
        new DecodeConfig(
            beam, lenpen, DecodeConfig.HAT_WMT.maxLenA(), DecodeConfig.HAT_WMT.maxLenB());
    if (Files.exists(model.resolve(OnnxExport.META))) {
      try (OnnxTranslator t = OnnxTranslator.open(model, int8, threads)) {
        t.translate(src, dc).forEach(System.out::println);
      }
      return 0;
    }
    if (int8) {
      throw new UserInputException(
          "--int8: "
              + model
              + " is not an ONNX export (no "
              + OnnxExport.META
              + "); export it with hatflow export --int8");
    }
    try (SubwordVocabulary v = VocabularyFiles.load(vocabDir());
        Translator t = new Translator(model, v, dc, threads)) {
      for (String out : t.translate(src)) {
        System.out.println(out);
      }
    }
    return 0;
  }

  private Path vocabDir() {
    return vocabDir(model, vocab);
  }

  /**
   * {@code vocab} if given, else the first {@code vocab/} or {@code prepare/vocab/} at or above
   * {@code model}.
   */
  static Path vocabDir(Path model, Path vocab) {
    if (vocab != null) {
      return vocab;
    }
    for (Path p = model.toAbsolutePath(); p != null; p = p.getParent()) {
      if (VocabularyFiles.isVocabularyDir(p.resolve("vocab"))) {
        return p.resolve("vocab");
      }
      Path prepared = io.hatflow.pipelines.stages.PrepareStage.Outputs.at(p).vocab();
      if (VocabularyFiles.isVocabularyDir(prepared)) {
        return prepared;
      }
    }
    throw new UserInputException(
        "--model " + model + ": no vocabulary found beside it; give --vocab DIR");
  }
}
