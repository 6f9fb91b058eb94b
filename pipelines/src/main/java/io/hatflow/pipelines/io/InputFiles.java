package io.hatflow.pipelines.io;

import io.hatflow.core.run.UserInputException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * User-supplied input files read through Beam {@link FileSystems}, so a spec or command may name a
 * local path or a {@code gs://} object (the GCP extension registers the scheme from the pipeline
 * options). Local paths take the same code path; only the scheme differs.
 */
public final class InputFiles {
  private InputFiles() {}

  /** Thrown for a missing or unreadable input: bad input, exit 2. */
  public static final class MissingInputException extends UserInputException {
    public MissingInputException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Whether {@code path} names a remote object ({@code scheme://...} other than {@code file://}).
   */
  public static boolean isRemote(String path) {
    return path.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") && !path.startsWith("file://");
  }

  /** Joins a child onto a local path or a URI with '/'. */
  public static String child(String parent, String... names) {
    StringBuilder b =
        new StringBuilder(parent.endsWith("/") ? parent.substring(0, parent.length() - 1) : parent);
    for (String n : names) {
      b.append('/').append(n);
    }
    return b.toString();
  }

  /**
   * Registers the file systems (gs:// among them) that {@code options} configure; null: Beam's
   * defaults.
   */
  private static void register(String path, PipelineOptions options) {
    if (options != null) {
      FileSystems.setDefaultPipelineOptions(options);
    } else if (isRemote(path)) {
      FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
    }
  }

  /**
   * The single file {@code path} names, or a clear error ({@code what}: the spec key or option).
   */
  private static ResourceId resolve(String what, String path, PipelineOptions options) {
    register(path, options);
    MatchResult m;
    List<MatchResult.Metadata> found;
    try {
      m = FileSystems.match(path);
      found = m.status() == MatchResult.Status.OK ? m.metadata() : List.of();
    } catch (FileNotFoundException | NoSuchFileException e) {
      found = List.of();
    } catch (IOException | IllegalArgumentException e) {
      throw new MissingInputException(what + ": cannot read " + path + ": " + e.getMessage(), e);
    }
    if (found.isEmpty()) {
      throw new MissingInputException(what + ": no such file: " + path, null);
    }
    if (found.size() > 1) {
      throw new MissingInputException(
          what + ": " + path + " matches " + found.size() + " files; name one file", null);
    }
    if (found.get(0).resourceId().isDirectory()) {
      throw new MissingInputException(what + ": " + path + " is a directory, not a file", null);
    }
    return found.get(0).resourceId();
  }

  /**
   * Whether {@code path} names one existing file (no error for a missing one). A file system that
   * cannot be asked (permissions, credentials, network) is an error, not "missing".
   */
  public static boolean exists(String path, PipelineOptions options) {
    try {
      resolve("", path, options);
      return true;
    } catch (MissingInputException e) {
      if (e.getCause() != null) {
        throw e;
      }
      return false;
    }
  }

  /** All bytes of one (small) input file. */
  public static byte[] readAll(String what, String path, PipelineOptions options) {
    ResourceId id = resolve(what, path, options);
    try (InputStream in = Channels.newInputStream(FileSystems.open(id))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(what + ": cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  /** Copies one input file (of any size) to a local file, through a temporary name beside it. */
  public static void copyToLocal(String what, String path, Path dst, PipelineOptions options) {
    ResourceId id = resolve(what, path, options);
    Path tmp = dst.resolveSibling(dst.getFileName() + ".part");
    try {
      Files.createDirectories(dst.toAbsolutePath().getParent());
      try (InputStream in = Channels.newInputStream(FileSystems.open(id));
          OutputStream out = Files.newOutputStream(tmp)) {
        in.transferTo(out);
      }
      Files.move(tmp, dst, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(
          what + ": cannot copy " + path + " to " + dst + ": " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException e) {
        // best effort
      }
    }
  }
}
