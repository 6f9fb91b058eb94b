/**
 * Corpus BLEU identical to sacreBLEU 2.6.0 (tokenizers 13a, intl, char, none; smoothing exp, none,
 * floor, add-k; effective order; several references). Entry points: {@link
 * io.hatflow.core.bleu.Bleu#corpusBleu}, {@link io.hatflow.core.bleu.Bleu#scoreFiles}. Checked
 * against sacreBLEU's own code by {@code launch/bench/bleu_vs_sacrebleu.sh}. Known difference:
 * characters assigned after Unicode 13 (JDK 17's tables) are classified differently by {@code intl}
 * and by lowercasing.
 */
package io.hatflow.core.bleu;
