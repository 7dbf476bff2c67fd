
req-1X
0Smith, J. (2020). Title. _Journal_, _1_(2), 3-4.
  
 Doe, R. (2019). Book. Publisher.