FROM eclipse-temurin:21-jre
WORKDIR /opt/app
COPY target/app.jar app.jar
ENTRYPOINT java $JAVA_OPTS -jar /opt/app/app.jar
