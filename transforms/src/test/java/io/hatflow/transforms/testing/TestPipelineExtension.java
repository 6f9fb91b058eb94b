package io.hatflow.transforms.testing;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import org.apache.beam.sdk.testing.TestPipeline;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.runner.Description;
import org.junit.runners.model.Statement;

/**
 * Beam's {@link TestPipeline} is a JUnit 4 rule: only around a test does it check that the pipeline
 * ran and that every node (a {@code PAssert} included) was part of the run. This applies that rule
 * for JUnit 5, to each {@code TestPipeline} field of the test instance, so tests keep
 * abandoned-node enforcement on.
 */
public final class TestPipelineExtension implements InvocationInterceptor {
  @Override
  public void interceptTestMethod(
      Invocation<Void> invocation, ReflectiveInvocationContext<Method> call, ExtensionContext ctx)
      throws Throwable {
    Object test = ctx.getRequiredTestInstance();
    Statement body =
        new Statement() {
          @Override
          public void evaluate() throws Throwable {
            invocation.proceed();
          }
        };
    Description d =
        Description.createTestDescription(test.getClass(), call.getExecutable().getName());
    for (Class<?> c = test.getClass(); c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (TestPipeline.class.isAssignableFrom(f.getType())
            && !Modifier.isStatic(f.getModifiers())) {
          f.setAccessible(true);
          body = ((TestPipeline) f.get(test)).apply(body, d);
        }
      }
    }
    body.evaluate();
  }
}
