package io.hatflow.pipelines.cli;

import io.hatflow.core.run.UserInputException;
import io.hatflow.model.export.OnnxExport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description =
        "Export a SubTransformer to ONNX for deployment: encoder.onnx and decoder_step.onnx (incremental"
            + " decoding with cached keys/values, opset 17), the vocabulary and export.json; --int8 adds int8 models"
            + " (per-channel weights, dynamic activations). Serve it with ONNX Runtime, or hatflow translate --model OUT.")
public final class ExportCommand implements Callable<Integer> {
  @Option(
      names = "--model",
      required = true,
      paramLabel = "DIR",
      description = "A SubTransformer directory (finalize/models/<winner>/ or an extraction).")
  Path model;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "DIR",
      description = "The export directory to write.")
  Path out;

  @Option(
      names = "--int8",
      description = "Also write the int8 models (encoder.int8.onnx, decoder_step.int8.onnx).")
  boolean int8;

  @Option(
      names = "--vocab",
      paramLabel = "DIR",
      description =
          "Vocabulary to ship beside the models (default: <model>/vocab, else the run's prepare/vocab).")
  Path vocab;

  @Option(names = "--force", description = "Replace an existing export directory.")
  boolean force;

  @Override
  public Integer call() {
    if (!Files.isDirectory(model)) {
      throw new UserInputException("--model " + model + ": not a directory");
    }
    OnnxExport.write(model, TranslateCommand.vocabDir(model, vocab), out, int8, force);
    System.out.println(
        "exported " + model + " to " + out + (int8 ? " (fp32 and int8)" : " (fp32)"));
    return 0;
  }
}
