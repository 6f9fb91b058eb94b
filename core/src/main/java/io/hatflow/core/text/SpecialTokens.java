package io.hatflow.core.text;

/** Reserved vocabulary ids, in fairseq's order so HAT users read the same numbers. */
public final class SpecialTokens {
  private SpecialTokens() {}

  public static final int BOS = 0;
  public static final int PAD = 1;
  public static final int EOS = 2;
  public static final int UNK = 3;

  /** Number of reserved ids; learned subwords start here. */
  public static final int COUNT = 4;

  public static final String BOS_TOKEN = "<s>";
  public static final String PAD_TOKEN = "<pad>";
  public static final String EOS_TOKEN = "</s>";
  public static final String UNK_TOKEN = "<unk>";
}
