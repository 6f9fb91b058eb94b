package io.hatflow.model; /** Placeholder. */ final class Placeholder {}
