:w
uBody (Smith, 2020) and Lee (2019).

References
Smith, J. (2020). Title. Publisher.

Lee, A. (2019). Other. Publisher.