package io.hatflow.pipelines.cli; public final class Hatflow { public static void main(String[] a) {} }
