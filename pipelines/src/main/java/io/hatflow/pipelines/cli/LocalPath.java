package io.hatflow.pipelines.cli;

import io.hatflow.pipelines.io.InputFiles;
import java.nio.file.Path;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Picocli converters for paths that must be local: a {@code gs://} value is refused at parse time
 * (exit 2) with what to do instead, rather than silently becoming a local folder named {@code gs:}.
 */
final class LocalPath {
  private LocalPath() {}

  static Path refuseRemote(String value, String why) {
    if (InputFiles.isRemote(value)) {
      throw new TypeConversionException(value + ": " + why);
    }
    return Path.of(value.startsWith("file://") ? value.substring("file://".length()) : value);
  }

  /** The spec file: relative paths in it resolve against its local directory. */
  static final class Spec implements ITypeConverter<Path> {
    @Override
    public Path convert(String value) {
      return refuseRemote(
          value,
          "the spec must be a local file (its relative paths resolve against its "
              + "directory); copy it locally. Paths inside the spec may be gs:// URIs");
    }
  }
}
