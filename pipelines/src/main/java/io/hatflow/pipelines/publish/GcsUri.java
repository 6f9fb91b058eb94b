package io.hatflow.pipelines.publish;

import io.hatflow.core.run.UserInputException;

/**
 * A {@code gs://BUCKET/PREFIX} destination; the prefix has no leading or trailing slash (may be
 * empty).
 */
public record GcsUri(String bucket, String prefix) {

  /** Parses {@code gs://bucket[/prefix[/]]}; anything else is bad input. */
  public static GcsUri parse(String uri) {
    if (uri == null || !uri.startsWith("gs://")) {
      throw new UserInputException("destination \"" + uri + "\" is not a gs://BUCKET/PREFIX URI");
    }
    String rest = uri.substring("gs://".length());
    int slash = rest.indexOf('/');
    String bucket = slash < 0 ? rest : rest.substring(0, slash);
    String prefix = slash < 0 ? "" : rest.substring(slash + 1);
    while (prefix.endsWith("/")) {
      prefix = prefix.substring(0, prefix.length() - 1);
    }
    // GCS bucket names: 3-63 (222 with dots) lowercase letters, digits, '-', '_', '.'.
    if (!bucket.matches("[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]")) {
      throw new UserInputException(
          "destination \"" + uri + "\": \"" + bucket + "\" is not a valid bucket name");
    }
    if (prefix.startsWith("/") || prefix.contains("//")) {
      throw new UserInputException("destination \"" + uri + "\": empty path segment in the prefix");
    }
    return new GcsUri(bucket, prefix);
  }

  /** The object name of a file at {@code relative} (slash-separated) under the prefix. */
  public String objectName(String relative) {
    return prefix.isEmpty() ? relative : prefix + "/" + relative;
  }

  public String uri(String objectName) {
    return "gs://" + bucket + "/" + objectName;
  }

  @Override
  public String toString() {
    return "gs://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
  }
}
