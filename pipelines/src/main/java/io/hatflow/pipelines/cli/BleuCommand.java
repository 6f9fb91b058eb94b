package io.hatflow.pipelines.cli;

import io.hatflow.core.bleu.Bleu;
import io.hatflow.core.bleu.BleuOptions;
import io.hatflow.core.bleu.BleuScore;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "bleu",
    mixinStandardHelpOptions = true,
    description =
        "Corpus BLEU compatible with sacreBLEU 2.x (13a tokenizer, exp smoothing by default).")
public final class BleuCommand implements Callable<Integer> {
  @Option(
      names = "--hyp",
      required = true,
      paramLabel = "FILE",
      description = "Hypotheses, one per line (plain or .gz).")
  Path hyp;

  @Option(
      names = "--ref",
      required = true,
      paramLabel = "FILE",
      description = "References (repeat for several streams).")
  List<Path> refs;

  @Option(
      names = "--tokenize",
      defaultValue = "13a",
      paramLabel = "13a|intl|char|none",
      description = "Default: ${DEFAULT-VALUE}.")
  String tokenize;

  @Option(
      names = "--smooth",
      defaultValue = "exp",
      paramLabel = "exp|none|floor|add-k",
      description = "Default: ${DEFAULT-VALUE}.")
  String smooth;

  @Option(names = "--lowercase", description = "Compare lowercased text.")
  boolean lowercase;

  @Option(names = "--json", description = "Print one JSON object as the last line.")
  boolean json;

  @Override
  public Integer call() {
    BleuOptions o =
        BleuOptions.defaults()
            .withTokenize(BleuOptions.Tokenize.fromName(tokenize))
            .withSmoothing(BleuOptions.Smoothing.fromName(smooth), null)
            .withLowercase(lowercase);
    BleuScore s = Bleu.scoreFiles(hyp, refs, o);
    System.out.println(s.formattedWithSignature());
    if (json) {
      System.out.println(s.toJson());
    }
    return 0;
  }
}
