import { NestFactory } from '@nestjs/core';
import { AUTH_LIBRARY_NAME } from '@app/auth';
import { AppModule } from './app.module.js';

const app = await NestFactory.create(AppModule);
await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
console.log(AUTH_LIBRARY_NAME, await app.getUrl());
