package io.hatflow.transforms; /** Placeholder. */ final class Placeholder {}
