"[Smith, John. Title. Publisher, 2020.

Doe, Jane. "Article." Journal, vol. 1, 2019, pp. 2-3.