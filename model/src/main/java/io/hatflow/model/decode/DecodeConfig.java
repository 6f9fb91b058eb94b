package io.hatflow.model.decode;

import io.hatflow.core.run.UserInputException;

/**
 * Search settings. HAT's WMT test: beam 4, length penalty 0.6. Output length is capped at {@code
 * maxLenA * sourceLength + maxLenB} tokens (fairseq's --max-len-a/--max-len-b).
 */
public record DecodeConfig(int beam, double lengthPenalty, double maxLenA, int maxLenB) {
  public static final DecodeConfig HAT_WMT = new DecodeConfig(4, 0.6, 1.2, 10);
  public static final DecodeConfig GREEDY = new DecodeConfig(1, 1.0, 1.2, 10);

  public DecodeConfig {
    if (beam < 1 || maxLenB < 1 || maxLenA < 0) {
      throw new UserInputException("beam >= 1, maxLenA >= 0, maxLenB >= 1 required");
    }
  }

  public int maxLen(int srcLen) {
    return (int) Math.floor(maxLenA * srcLen) + maxLenB;
  }
}
