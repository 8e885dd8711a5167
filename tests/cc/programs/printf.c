/* printf of doubles and floats: every conversion, flag, width and precision, inf and nan. */
#include <stdio.h>
#include <stdlib.h>
int main(void) {
  double v[] = {0.0, -0.0, 1.5, -2.25, 1e300, 1e-310, 3.141592653589793, 123456789.125, 0.1, 1.0/3, 2.5, 1e16, 5e-324, 0x1.fffffffffffffp1023};
  const char *fmts[] = {"%f", "%.3f", "%12.4e", "%-12g|", "%+g", "% .0f", "%#.0e", "%a", "%.2a", "%A", "%010.3f", "%#g", "%.17g", "%G", "%.0a", "%#a", "%20a|", "%-+10.1E|", "%.30f"};
  for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++) {
    for (unsigned j = 0; j < sizeof fmts / sizeof fmts[0]; j++) { printf(fmts[j], v[i]); putchar(' '); }
    putchar('\n');
  }
  double inf = strtod("inf", 0), nan = strtod("nan", 0);
  printf("%f %F %5.1f %-6e| %+g %05f %a\n", inf, -inf, nan, -nan, nan, inf, -inf);
  float f = 1.1f;
  printf("%f %.10g %a\n", f, f * 3, (double)f);
  printf("%g %g %g\n", atof("  -1.25e3xyz"), strtod("0x1.8p3", 0), (double)strtof("3.4028235e38", 0));
  return 0;
}
