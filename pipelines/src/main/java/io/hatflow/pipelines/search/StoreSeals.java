package io.hatflow.pipelines.search;

import io.hatflow.core.run.Digests;
import io.hatflow.pipelines.io.AvroFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;

/**
 * The evaluation store is a cache, and a cache is an artifact: each entry file gets a seal beside
 * it ({@code <file>.sha256}, its SHA-256, written by the client once the job that wrote the file
 * has finished), and only sealed files whose bytes still match are reused. One flipped bit in a
 * cached fitness once became a winner.
 */
public final class StoreSeals {
  private StoreSeals() {}

  public static final String SUFFIX = ".sha256";

  /** A store entry whose bytes no longer match its seal: never used. */
  public static final class DamagedEntryException extends IllegalStateException
      implements io.hatflow.core.run.ExpectedFailure {
    DamagedEntryException(String msg) {
      super(msg);
    }
  }

  /**
   * Seals the entry file {@code uri}; false when the job wrote none (nothing new was evaluated).
   */
  public static boolean seal(String uri) {
    if (!AvroFiles.exists(uri)) {
      return false;
    }
    AvroFiles.writeText(uri + SUFFIX, sha256(uri) + "\n");
    return true;
  }

  /**
   * The store's entry files that may be reused: sealed and intact. An unsealed file (its job did
   * not finish, or the client stopped before sealing) is left out and reported in {@code warnings}:
   * its values are computed again. A damaged one stops the search before any work.
   */
  public static List<String> verified(String storeDir, List<String> warnings) {
    List<String> ok = new ArrayList<>();
    for (String f : match(storeDir.replaceAll("/+$", "") + "/fitness-*.avro")) {
      if (!AvroFiles.exists(f + SUFFIX)) {
        warnings.add(
            "evaluation store: "
                + f
                + " has no seal (written by a job that did not finish); not reused");
        continue;
      }
      String want = readText(f + SUFFIX).trim();
      String got = sha256(f);
      if (!got.equals(want)) {
        throw new DamagedEntryException(
            "evaluation store entry "
                + f
                + " does not match its seal (recorded "
                + abbrev(want)
                + ", found "
                + abbrev(got)
                + "): damaged after it was written; nothing was used. Delete"
                + " it and its "
                + SUFFIX
                + " (those fitness values are computed again)");
      }
      ok.add(f);
    }
    return ok;
  }

  private static String abbrev(String s) {
    return s.substring(0, Math.min(12, s.length()));
  }

  private static List<String> match(String glob) {
    try {
      List<String> out = new ArrayList<>();
      for (MatchResult.Metadata m : FileSystems.match(glob, EmptyMatchTreatment.ALLOW).metadata()) {
        out.add(m.resourceId().toString());
      }
      out.sort(null);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + glob + ": " + e.getMessage(), e);
    }
  }

  static String sha256(String uri) {
    MessageDigest md = Digests.sha256();
    try (InputStream in =
        Channels.newInputStream(
            FileSystems.open(FileSystems.matchSingleFileSpec(uri).resourceId()))) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + uri + ": " + e.getMessage(), e);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static String readText(String uri) {
    try (InputStream in =
        Channels.newInputStream(
            FileSystems.open(FileSystems.matchSingleFileSpec(uri).resourceId()))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + uri + ": " + e.getMessage(), e);
    }
  }
}
