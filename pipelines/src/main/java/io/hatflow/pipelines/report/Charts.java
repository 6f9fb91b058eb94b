package io.hatflow.pipelines.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The report's charts: XChart scatter/line plots saved as PNG and SVG side by side (headless). */
final class Charts {
  private Charts() {}

  /** One series: points, drawn as markers only or as a line with markers. */
  record Series(
      String name,
      List<Double> x,
      List<Double> y,
      boolean line,
      Color color,
      boolean big,
      boolean markers) {
    Series(String name, List<Double> x, List<Double> y, boolean line, Color color, boolean big) {
      this(name, x, y, line, color, big, true);
    }

    /** The line y = slope * x from 0 to {@code max}, without markers. */
    static Series band(String name, double max, double slope, Color c) {
      return new Series(name, List.of(0.0, max), List.of(0.0, max * slope), true, c, false, false);
    }

    static Series points(String name, List<Double> x, List<Double> y, Color c) {
      return new Series(name, x, y, false, c, false);
    }
  }

  static XYChart chart(String title, String xTitle, String yTitle) {
    XYChart c =
        new XYChartBuilder()
            .width(720)
            .height(440)
            .title(title)
            .xAxisTitle(xTitle)
            .yAxisTitle(yTitle)
            .build();
    XYStyler s = c.getStyler();
    s.setLegendPosition(Styler.LegendPosition.InsideNE);
    s.setChartBackgroundColor(Color.WHITE);
    s.setPlotBackgroundColor(Color.WHITE);
    s.setPlotGridLinesColor(new Color(225, 225, 225));
    s.setMarkerSize(7);
    s.setChartTitleBoxVisible(false);
    s.setPlotBorderVisible(false);
    return c;
  }

  static void add(XYChart c, Series s) {
    if (s.x().isEmpty()) {
      return;
    }
    XYSeries xs = c.addSeries(s.name(), s.x(), s.y());
    xs.setXYSeriesRenderStyle(
        s.line() ? XYSeries.XYSeriesRenderStyle.Line : XYSeries.XYSeriesRenderStyle.Scatter);
    xs.setMarker(
        !s.markers() ? SeriesMarkers.NONE : s.big() ? SeriesMarkers.DIAMOND : SeriesMarkers.CIRCLE);
    if (s.color() != null) {
      xs.setMarkerColor(s.color());
      xs.setLineColor(s.color());
    }
    if (s.line()) {
      xs.setLineStyle(new BasicStroke(1.8f));
    }
  }

  /** Writes {@code <dir>/<name>.png} and {@code <dir>/<name>.svg}. */
  static void save(XYChart c, Path dir, String name) {
    try {
      BitmapEncoder.saveBitmap(
          c, dir.resolve(name + ".png").toString(), BitmapEncoder.BitmapFormat.PNG);
      VectorGraphicsEncoder.saveVectorGraphic(
          c, dir.resolve(name + ".svg").toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write chart " + name + " in " + dir, e);
    }
  }
}
