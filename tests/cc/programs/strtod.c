/* strtod, strtof and atof, and printing what they read. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    const char *inputs[] = {"0", "  -12.5e-3xyz", "1e400", "-1e-400", "0x1.8p3", "0X.8P-1", "inf", "-Infinity",
                            "nan", ".5", "5.", "1e", "+.e3", "abc", "2.2250738585072011e-308",
                            "0.1000000000000000055511151231257827", "123456789012345678901234567890"};
    for (unsigned i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        char *end;
        double d = strtod(inputs[i], &end);
        float f = strtof(inputs[i], NULL);
        printf("%-40s %.17g %.9g used %d\n", inputs[i], d, f, (int)(end - inputs[i]));
    }
    printf("%g\n", atof("3.25") + atof("-1"));
    return 0;
}
